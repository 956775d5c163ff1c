"""The course's batch pipeline (mlops-zoomcamp 04-deployment batch/score.py), timed in phases.

Debian has no pyarrow, so the rows come as CSV; reading them is timed apart ("read").
prepare = the course's prepare_dictionaries + duration filter; vectorize = DictVectorizer.transform;
predict = LinearRegression.predict. The model is fitted first on a sample of the same rows (not timed).
Prints one JSON line.
"""
import json
import sys
import time

import pandas as pd
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LinearRegression


def read_csv(path):
    return pd.read_csv(path, parse_dates=["pickup_datetime", "dropoff_datetime"])


def prepare(df):
    # course: read_dataframe + prepare_dictionaries
    df = df.copy()
    df["duration"] = (df.dropoff_datetime - df.pickup_datetime).dt.total_seconds() / 60
    df = df[(df.duration >= 1) & (df.duration <= 60)].copy()
    df["ride_id"] = [f"2021/03_{i}" for i in df.index]
    categorical = ["PULocationID", "DOLocationID"]
    df[categorical] = df[categorical].astype(str)
    df["PU_DO"] = df["PULocationID"] + "_" + df["DOLocationID"]
    dicts = df[["PU_DO", "trip_distance"]].to_dict(orient="records")
    return df, dicts


def main():
    path = sys.argv[1]
    t0 = time.perf_counter()
    df = read_csv(path)
    t_read = time.perf_counter() - t0

    # Fit on a sample (not timed): the course trains once, then scores.
    sample_df, sample_dicts = prepare(df.sample(n=min(200_000, len(df)), random_state=1))
    dv = DictVectorizer()
    X_train = dv.fit_transform(sample_dicts)
    lr = LinearRegression().fit(X_train, sample_df.duration.values)

    t1 = time.perf_counter()
    prepared, dicts = prepare(df)
    t_prepare = time.perf_counter() - t1
    t2 = time.perf_counter()
    X = dv.transform(dicts)
    t_vectorize = time.perf_counter() - t2
    t3 = time.perf_counter()
    y_pred = lr.predict(X)
    t_predict = time.perf_counter() - t3
    result = pd.DataFrame(
        {
            "ride_id": prepared["ride_id"],
            "predicted_duration": y_pred,
        }
    )
    print(
        json.dumps(
            {
                "rows": len(df),
                "scored": len(result),
                "read_s": t_read,
                "prepare_s": t_prepare,
                "vectorize_s": t_vectorize,
                "predict_s": t_predict,
                "pipeline_s": t_prepare + t_vectorize + t_predict,
            }
        )
    )


if __name__ == "__main__":
    main()
