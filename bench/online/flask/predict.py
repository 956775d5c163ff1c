"""The course's Flask web service (MLOps Zoomcamp 04-deployment/web-service/predict.py).

    MODEL_BIN=lin_reg.bin MODEL_VERSION=sklearn gunicorn --workers 2 --bind 127.0.0.1:9696 predict:app
"""
import os
import pickle

from flask import Flask, jsonify, request

with open(os.environ["MODEL_BIN"], "rb") as f_in:
    dv, model = pickle.load(f_in)

MODEL_VERSION = os.environ.get("MODEL_VERSION", "sklearn")


def prepare_features(ride):
    features = {}
    features["PU_DO"] = "%s_%s" % (ride["PULocationID"], ride["DOLocationID"])
    features["trip_distance"] = ride["trip_distance"]
    return features


def predict(features):
    X = dv.transform(features)
    preds = model.predict(X)
    return float(preds[0])


app = Flask("duration-prediction")


@app.route("/predict", methods=["POST"])
def predict_endpoint():
    ride = request.get_json()
    features = prepare_features(ride)
    pred = predict(features)
    result = {"duration": pred, "model_version": MODEL_VERSION}
    return jsonify(result)
