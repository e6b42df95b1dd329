"""Deploying Hark into an AWS account: `make deploy`, `make destroy` (see README, Deploy to AWS)."""
