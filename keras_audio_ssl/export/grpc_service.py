"""An in-process TF Serving `PredictionService` backed by a loaded SavedModel.

Not a replacement for `tensorflow_model_server`: it exists so the exported
SavedModel's serving contract (signature names, input/output keys, dtypes,
shapes, error status) can be exercised with tensorflow-serving-api's real gRPC
client, `PredictionServiceStub.Predict`, on machines where the model server
cannot be installed.
"""

from concurrent import futures

import grpc
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_service_pb2_grpc


class SavedModelPredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):
    """Answers `Predict` like TF Serving does for one model name."""

    def __init__(self, saved_model_dir, model_name):
        self.model_name = model_name
        self.loaded = tf.saved_model.load(saved_model_dir)

    def Predict(self, request, context):
        if request.model_spec.name != self.model_name:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Servable not found for request: {request.model_spec.name}")
        signature_name = request.model_spec.signature_name or "serving_default"
        if signature_name not in self.loaded.signatures:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"Serving signature name: {signature_name!r} not found")
        signature = self.loaded.signatures[signature_name]
        try:
            inputs = {key: tf.constant(tf.make_ndarray(proto)) for key, proto in request.inputs.items()}
            outputs = signature(**inputs)
        except (tf.errors.InvalidArgumentError, TypeError, ValueError) as error:
            message = getattr(error, "message", None) or str(error)
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, message)
        response = predict_pb2.PredictResponse()
        response.model_spec.CopyFrom(request.model_spec)
        response.model_spec.signature_name = signature_name
        for key, value in outputs.items():
            response.outputs[key].CopyFrom(tf.make_tensor_proto(value.numpy()))
        return response


def start_prediction_server(saved_model_dir, model_name, host="127.0.0.1"):
    """Starts a gRPC server on an ephemeral port; returns `(server, "host:port")`.

    Call `server.stop(None)` when done.
    """
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        SavedModelPredictionService(saved_model_dir, model_name), server
    )
    port = server.add_insecure_port(f"{host}:0")
    server.start()
    return server, f"{host}:{port}"
