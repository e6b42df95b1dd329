"""Hark's core: the typed contract every process shares, and the domain rules behind it.

The API's Lambda functions (`chalicelib`), the SageMaker containers (`sagemaker_jobs`), the
streaming service (`hark_streaming`), the command line and the local stack all import it; it
imports none of them, nor Chalice, nor an AWS SDK (an import-linter contract in `make test`
checks this). What one process writes and another reads is defined here once:

- `options`: a transcript's options, as the client sends them (`TranscriptOptions`), as a job
  stores and carries them to the container (`JobOptions`);
- `inference`: the inference container's request and response (`InferenceRequest`,
  `InferenceResult`, `Word`, `Entity`);
- `records`: the transcript and custom-model records kept in DynamoDB, and their ids;
- `errors`: the one error hierarchy, each error with the HTTP status it maps to;
- `speech`: the base speech models and languages, in AssemblyAI's terms;
- `formatting`: a word restyled as a request asks (punctuation, case);
- `keys`: how API keys are recognised and stored (hashed);
- `s3_uri`: `s3://bucket/key` values.
"""
