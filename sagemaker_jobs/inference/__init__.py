"""The SageMaker inference container: `serve` answers GET /ping and POST /invocations."""
