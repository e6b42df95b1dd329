"""Hark's local stack: moto playing AWS, the Chalice app, the local SageMaker runner and
the event-source pollers, all created from infra/'s definitions."""
