"""The course's model, fitted with scikit-learn (MLOps Zoomcamp 04-deployment/web-service).

Reads the trips as CSV (bench/online/run.ts exports the Parquet month with DuckDB: Debian has
no pyarrow), applies the course's duration filter and features, fits DictVectorizer +
LinearRegression, and pickles both.

    python3 train.py TRIPS_CSV MODEL_BIN
"""
import pickle
import sys

import pandas as pd
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LinearRegression


def read_dataframe(filename):
    df = pd.read_csv(filename, parse_dates=["lpep_pickup_datetime", "lpep_dropoff_datetime"])
    df["duration"] = df.lpep_dropoff_datetime - df.lpep_pickup_datetime
    df.duration = df.duration.apply(lambda td: td.total_seconds() / 60)
    df = df[(df.duration >= 1) & (df.duration <= 60)]
    categorical = ["PULocationID", "DOLocationID"]
    df[categorical] = df[categorical].astype(str)
    return df


def prepare_dictionaries(df):
    df = df.copy()
    df["PU_DO"] = df["PULocationID"] + "_" + df["DOLocationID"]
    return df[["PU_DO", "trip_distance"]].to_dict(orient="records")


def main():
    trips_csv, model_bin = sys.argv[1], sys.argv[2]
    df = read_dataframe(trips_csv)
    dv = DictVectorizer()
    X = dv.fit_transform(prepare_dictionaries(df))
    lr = LinearRegression()
    lr.fit(X, df["duration"].values)
    with open(model_bin, "wb") as f_out:
        pickle.dump((dv, lr), f_out)
    print(f"fitted on {len(df)} trips, {len(dv.feature_names_)} features")


if __name__ == "__main__":
    main()
