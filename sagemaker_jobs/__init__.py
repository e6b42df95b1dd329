"""Code that runs inside Hark's SageMaker containers: the speech pipeline and its entrypoints."""
