"""`flask faces` commands: on a bare Flask app (no database needed), and identify on the app with its model store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from flask import Flask

from app.cli.faces import faces_cli
from app.enrolment.model_store import publish_model
from app.recognition.cohort import SHIPPED_COHORT, load_cohort
from app.recognition.images import read_image
from app.recognition.pipeline import Recognizer
from app.recognition.training import classifier_bytes, train_from_vectors


@pytest.fixture()
def cli_app(tmp_path: Path) -> Flask:
    app = Flask("facegate-test")
    app.config.update(
        DETECTOR="opencv", EMBEDDER="opencv", SECOND_EMBEDDER="dlib", MIN_FACE_PX=40, MODEL_DIR=tmp_path / "models",
        COHORT_FILE=SHIPPED_COHORT,
    )
    app.cli.add_command(faces_cli)
    return app


def test_identify_without_a_model_says_so(app: Flask, db, faces_dir: Path, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MODEL_CHECK_S", 0)
    image = faces_dir / "people" / "Alvaro_Uribe" / "Alvaro_Uribe_0001.jpg"
    result = app.test_cli_runner().invoke(args=["faces", "identify", str(image)])
    assert result.exit_code != 0 and "no recognition model has been trained yet" in result.output


def test_identify_reports_a_bad_file_clearly(cli_app: Flask, tmp_path: Path) -> None:
    bad = tmp_path / "empty.jpg"
    bad.write_bytes(b"")
    result = cli_app.test_cli_runner().invoke(args=["faces", "identify", str(bad)])
    assert result.exit_code != 0 and "empty file" in result.output


@pytest.mark.slow
def test_identify_names_an_enrolled_person(app: Flask, db, faces_dir: Path, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MODEL_CHECK_S", 0)
    recognizer = Recognizer()
    vectors, labels = [], []
    for label, name in (("17", "Alvaro_Uribe"), ("42", "Halle_Berry"), ("99", "Jacques_Chirac")):
        for i in range(1, 5):
            photo = read_image(faces_dir / "people" / name / f"{name}_{i:04d}.jpg")
            vectors.append(recognizer.enrolment_vector(photo)[0])
            labels.append(label)
    cohort = load_cohort(SHIPPED_COHORT, recognizer.embedding_name)[0]
    model = train_from_vectors(np.stack(vectors), np.array(labels), cohort)
    version = publish_model(classifier_bytes(model), kind="full", embedder=recognizer.embedding_name).version
    image = faces_dir / "people" / "Halle_Berry" / "Halle_Berry_0009.jpg"
    result = app.test_cli_runner().invoke(args=["faces", "identify", str(image), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["model_version"] == version
    # This photo also shows part of a second, never-enrolled person: a stranger, not staff.
    assert [face["staff_id"] for face in payload["faces"]] == ["42", None]
    assert payload["faces"][1]["stranger"] is True


@pytest.mark.slow
def test_verify_pairs_json_keys(cli_app: Flask, faces_dir: Path, tmp_path: Path) -> None:
    subset = (faces_dir / "lfw_pairs" / "pairs_subset.tsv").read_text().splitlines()
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("\n".join(subset[:1] + subset[1:11] + [r for r in subset if "\t0\t" in r][:6]) + "\n")
    result = cli_app.test_cli_runner().invoke(args=["faces", "verify-pairs", str(pairs), str(faces_dir), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert {"pairs", "accuracy", "accuracy_std", "no_face"} <= payload.keys()
    assert payload["pairs"] == 16 and payload["no_face"] == 0 and payload["accuracy"] >= 0.8


def test_evaluate_refuses_draws_without_a_gallery_size(cli_app: Flask, faces_dir: Path) -> None:
    result = cli_app.test_cli_runner().invoke(
        args=["faces", "evaluate", str(faces_dir / "people"), "--draws", "3", "--json"]
    )
    assert result.exit_code != 0 and "--draws needs --people" in result.output


def test_evaluate_refuses_a_gallery_larger_than_the_folder(cli_app: Flask, tmp_path: Path) -> None:
    (tmp_path / "people" / "Only_One").mkdir(parents=True)
    result = cli_app.test_cli_runner().invoke(args=["faces", "evaluate", str(tmp_path / "people"), "--people", "2"])
    assert result.exit_code != 0 and "--people must be between" in result.output


@pytest.mark.slow
def test_build_cohort_writes_a_file_evaluate_can_use(cli_app: Flask, faces_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "visitors"
    folder.mkdir()
    for source in sorted((faces_dir / "strangers").iterdir())[:2]:
        (folder / source.name).symlink_to(source.resolve(), target_is_directory=True)
    out = tmp_path / "cohort.npz"
    result = cli_app.test_cli_runner().invoke(args=["faces", "build-cohort", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    cohort, meta = load_cohort(out, Recognizer().embedding_name)
    assert meta["faces"] == len(cohort) >= 2 and meta["embedding"] == "facenet-20180408+dlib-resnet-v1"
    assert meta["people"] == 2
    assert "wrote" in result.output
