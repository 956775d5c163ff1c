"""The course's training code (MLOps Zoomcamp 01-intro / 04-deployment), used as a reference.

Reads CSV exports of TLC months (pandas here lacks a Parquet engine), trains DictVectorizer +
LinearRegression exactly as the course does and prints JSON: intercept, trip_distance coefficient,
RMSE on the validation file and predictions for a few probe rides.
Usage: python3 sklearn-reference.py train.csv val.csv
"""
import json
import sys

import numpy as np
import pandas as pd
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error


def read_dataframe(filename):
    df = pd.read_csv(filename, parse_dates=["pickup", "dropoff"])
    df["duration"] = (df.dropoff - df.pickup).dt.total_seconds() / 60
    df = df[(df.duration >= 1) & (df.duration <= 60)]
    df[["PULocationID", "DOLocationID"]] = df[["PULocationID", "DOLocationID"]].astype(str)
    df["PU_DO"] = df["PULocationID"] + "_" + df["DOLocationID"]
    return df


train = read_dataframe(sys.argv[1])
val = read_dataframe(sys.argv[2])
features = ["PU_DO", "trip_distance"]
dv = DictVectorizer()
X_train = dv.fit_transform(train[features].to_dict(orient="records"))
X_val = dv.transform(val[features].to_dict(orient="records"))
lr = LinearRegression()
lr.fit(X_train, train["duration"].values)
y_pred = lr.predict(X_val)
probes = [{"PU_DO": "43_151", "trip_distance": 1.01}, {"PU_DO": "1_1", "trip_distance": 3.0}, {"PU_DO": "74_75", "trip_distance": 2.5}]
print(json.dumps({
    "intercept": float(lr.intercept_),
    "tripDistance": float(lr.coef_[dv.vocabulary_["trip_distance"]]),
    "rmse": float(np.sqrt(mean_squared_error(val["duration"].values, y_pred))),
    "rows": int(len(val)),
    "probes": [float(v) for v in lr.predict(dv.transform(probes))],
}))
