"""A Rasa 3.6 intent classifier: a linear SVM over every sentence feature, calibrated.

Sparse count features (words, character n-grams) are weighted like TF-IDF (sublinear term
frequency, inverse document frequency, unit length per featurizer) and stacked with the dense
sentence embedding. A linear SVM separates the intents; its scores become probabilities through a
softmax whose temperature is fitted on held-out folds of the training data, so a confidence of
0.9 means about nine right in ten. The confidence thresholds of the fallback and of consequential
actions rely on that.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

logger = logging.getLogger(__name__)

_FILE = "linear_intent_classifier.npz"
# Temperatures tried for the calibration softmax (scores of a linear SVM are around -1..1).
_TEMPERATURES = np.exp(np.linspace(np.log(0.02), np.log(2.0), 60))


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / temperature
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class CalibratedLinearIntentClassifier(IntentClassifier, GraphComponent):
    """Intent classifier: calibrated linear SVM over stacked sparse and dense features."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Inverse regularisation of the SVM.
            "C": 0.5,
            # Weight of dense (embedding) blocks against unit-length sparse blocks.
            "dense_weight": 1.5,
            # Intents weigh (largest intent's examples / this intent's) ** class_weight_power:
            # 0 is unweighted, 1 weighs every intent equally. Between the two, the few dozen
            # examples of a collections intent are not drowned by ~9,000 out-of-scope ones, and
            # out-of-scope still wins where the two look alike.
            "class_weight_power": 0.6,
            "calibration_folds": 3,
            "ranking_length": 10,
            "random_seed": 42,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: dict[str, np.ndarray] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CalibratedLinearIntentClassifier:
        return cls(config, model_storage, resource)

    # Features -------------------------------------------------------------------------------

    @staticmethod
    def _blocks(message: Message) -> dict[str, Any]:
        """Sentence features of TEXT by the featurizer that made them."""
        found: dict[str, Any] = {}
        for features in message.features:
            if features.attribute == TEXT and features.type == FEATURE_TYPE_SENTENCE:
                origin = (
                    features.origin
                    if isinstance(features.origin, str)
                    else "+".join(features.origin)
                )
                found[origin] = features.features
        return found

    def _layout(self, messages: list[Message]) -> None:
        """Which blocks exist, their width, whether sparse, and the IDF of each sparse block."""
        widths: dict[str, int] = {}
        sparse: dict[str, bool] = {}
        blocks = [self._blocks(message) for message in messages]
        for found in blocks:
            for origin, matrix in found.items():
                widths[origin] = matrix.shape[-1]
                sparse[origin] = scipy.sparse.issparse(matrix)
        origins = sorted(widths)
        model: dict[str, np.ndarray] = {
            "origins": np.array(origins),
            "widths": np.array([widths[o] for o in origins]),
            "sparse": np.array([sparse[o] for o in origins]),
        }
        n = len(messages)
        for index, origin in enumerate(origins):
            if not sparse[origin]:
                continue
            df = np.zeros(widths[origin])
            for found in blocks:
                matrix = found.get(origin)
                if matrix is not None:
                    df[scipy.sparse.csr_matrix(matrix).indices] += 1
            model[f"idf_{index}"] = (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)
        self._model = model

    def _matrix(self, messages: list[Message]) -> scipy.sparse.csr_matrix:
        assert self._model is not None
        model = self._model
        blocks = [self._blocks(message) for message in messages]
        columns = []
        for index, origin in enumerate(model["origins"]):
            width = int(model["widths"][index])
            rows = []
            for found in blocks:
                matrix = found.get(str(origin))
                rows.append(
                    scipy.sparse.csr_matrix(matrix)
                    if matrix is not None and matrix.shape[-1] == width
                    else scipy.sparse.csr_matrix((1, width), dtype=np.float32)
                )
            block = scipy.sparse.vstack(rows).tocsr().astype(np.float32)
            if model["sparse"][index]:
                block.data = np.log1p(np.abs(block.data))
                block = block.multiply(model[f"idf_{index}"]).tocsr()
                norms = np.sqrt(np.asarray(block.multiply(block).sum(axis=1))).ravel()
                norms[norms == 0] = 1.0
                block = scipy.sparse.diags(1.0 / norms) @ block
            else:
                block = block * float(self._config["dense_weight"])
            columns.append(block)
        return scipy.sparse.hstack(columns).tocsr()

    # Training -------------------------------------------------------------------------------

    def _svm(self, labels: np.ndarray) -> LinearSVC:
        classes, counts = np.unique(labels, return_counts=True)
        power = float(self._config["class_weight_power"])
        weights = {
            str(c): float((counts.max() / n) ** power) for c, n in zip(classes, counts, strict=True)
        }
        return LinearSVC(
            C=float(self._config["C"]),
            class_weight=weights,
            random_state=int(self._config["random_seed"]),
            max_iter=5000,
        )

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        labels = np.array([str(e.get(INTENT)) for e in examples])
        if len(set(labels)) < 2:
            logger.warning("CalibratedLinearIntentClassifier needs two intents; not trained.")
            return self._resource
        self._layout(examples)
        X = self._matrix(examples)
        temperature = self._fit_temperature(X, labels)
        svm = self._svm(labels).fit(X, labels)
        assert self._model is not None
        self._model.update(
            classes=svm.classes_.astype(str),
            coef=svm.coef_.astype(np.float32),
            intercept=svm.intercept_.astype(np.float32),
            temperature=np.array(temperature),
        )
        self.persist()
        return self._resource

    def _fit_temperature(self, X: scipy.sparse.csr_matrix, labels: np.ndarray) -> float:
        """The softmax temperature with the least log loss on out-of-fold SVM scores."""
        _, counts = np.unique(labels, return_counts=True)
        folds = min(int(self._config["calibration_folds"]), int(counts.min()))
        if folds < 2:
            return 0.1
        splitter = StratifiedKFold(
            n_splits=folds, shuffle=True, random_state=int(self._config["random_seed"])
        )
        classes = np.unique(labels)
        scores = np.zeros((len(labels), len(classes)), dtype=np.float64)
        for train, held in splitter.split(np.zeros(len(labels)), labels):
            svm = self._svm(labels[train]).fit(X[train], labels[train])
            columns = np.searchsorted(classes, svm.classes_)
            scores[np.ix_(held, columns)] = svm.decision_function(X[held])
        truth = np.searchsorted(classes, labels)
        losses = [
            -np.log(_softmax(scores.copy(), t)[np.arange(len(truth)), truth] + 1e-12).mean()
            for t in _TEMPERATURES
        ]
        best = float(_TEMPERATURES[int(np.argmin(losses))])
        logger.info(f"Intent confidence calibrated: softmax temperature {best:.3f}")
        return best

    # Prediction -----------------------------------------------------------------------------

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None or "coef" not in self._model or not messages:
            return messages
        X = self._matrix(messages)
        scores = np.asarray(X @ self._model["coef"].T) + self._model["intercept"]
        probabilities = _softmax(scores.astype(np.float64), float(self._model["temperature"]))
        classes = self._model["classes"]
        length = int(self._config["ranking_length"])
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(-row)
            ranking = [
                {"name": str(classes[i]), "confidence": float(row[i])}
                for i in order[: length if length > 0 else len(order)]
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    # Persistence ----------------------------------------------------------------------------

    def persist(self) -> None:
        assert self._model is not None
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / _FILE, **self._model)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CalibratedLinearIntentClassifier:
        try:
            # Plain arrays only: nothing executable is read from the model file.
            with (
                model_storage.read_from(resource) as directory,
                np.load(directory / _FILE, allow_pickle=False) as stored,
            ):
                model = {name: stored[name] for name in stored.files}
        except (ValueError, FileNotFoundError, OSError):
            logger.warning("CalibratedLinearIntentClassifier: no trained model found.")
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, model)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        pass
