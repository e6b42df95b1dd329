"""A local stand-in for SageMaker asynchronous inference endpoints.

moto answers the SageMaker control-plane API but its InvokeEndpointAsync does no work and sends no
notification. `LocalSageMakerRunner` serves that one runtime operation for real: it runs the model
container as local worker processes, feeds them the S3 inputs, writes outputs and failures to S3
and publishes the SNS notifications the endpoint config names, so application code that drives
SageMaker async inference runs unchanged against moto.
"""

from devstack.sagemaker.clients import AwsClients, make_aws_clients
from devstack.sagemaker.runner import LocalEndpoint, LocalSageMakerRunner
from devstack.sagemaker.workers import ContainerSpec, WorkerStartupError

__all__ = [
    "AwsClients",
    "ContainerSpec",
    "LocalEndpoint",
    "LocalSageMakerRunner",
    "WorkerStartupError",
    "make_aws_clients",
]
