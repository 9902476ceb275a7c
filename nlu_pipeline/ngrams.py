"""A Rasa 3.6 sparse featurizer: word or character n-gram counts of the whole message.

Rasa's CountVectorsFeaturizer builds a matrix per token as well, which only sequence models
(DIET) read; the classifier here reads sentence features, and building those alone is several
times faster on the ~12,000 training examples.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import CountVectorizer

_FILE = "vocabulary.json"
# Single-character words count too ("i", "u", "2", "ok").
_WORD = r"(?u)\b\w+\b"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceNgramFeaturizer(SparseFeaturizer, GraphComponent):
    """Counts of word n-grams (analyzer `word`) or character n-grams within words (`char_wb`)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **SparseFeaturizer.get_default_config(),
            "analyzer": "word",
            "min_ngram": 1,
            "max_ngram": 1,
        }

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: dict[str, int] | None = None,
    ) -> None:
        super().__init__(name, config)
        self._model_storage = model_storage
        self._resource = resource
        self._vectorizer = self._new_vectorizer(vocabulary) if vocabulary else None

    def _new_vectorizer(self, vocabulary: dict[str, int] | None = None) -> CountVectorizer:
        analyzer = self._config["analyzer"]
        return CountVectorizer(
            analyzer=analyzer,
            ngram_range=(int(self._config["min_ngram"]), int(self._config["max_ngram"])),
            lowercase=True,
            token_pattern=_WORD if analyzer == "word" else None,
            vocabulary=vocabulary,
            dtype=float,
        )

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceNgramFeaturizer:
        return cls(config, execution_context.node_name, model_storage, resource)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if config.get("analyzer") not in {"word", "char_wb"}:
            raise InvalidConfigException("SentenceNgramFeaturizer: analyzer is word or char_wb")
        if not 1 <= int(config.get("min_ngram", 1)) <= int(config.get("max_ngram", 1)):
            raise InvalidConfigException("SentenceNgramFeaturizer: 1 <= min_ngram <= max_ngram")

    def train(self, training_data: TrainingData) -> Resource:
        texts = [str(m.get(TEXT)) for m in training_data.training_examples if m.get(TEXT)]
        vectorizer = self._new_vectorizer()
        vectorizer.fit(texts)
        vocabulary = {term: int(index) for term, index in vectorizer.vocabulary_.items()}
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _FILE).write_text(json.dumps(vocabulary, ensure_ascii=False), "utf-8")
        self._vectorizer = self._new_vectorizer(vocabulary)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SentenceNgramFeaturizer:
        try:
            with model_storage.read_from(resource) as directory:
                vocabulary = json.loads((directory / _FILE).read_text("utf-8"))
        except (ValueError, FileNotFoundError, OSError):
            vocabulary = None
        return cls(config, execution_context.node_name, model_storage, resource, vocabulary)

    def process(self, messages: list[Message]) -> list[Message]:
        if self._vectorizer is None:
            return messages
        with_text = [m for m in messages if m.get(TEXT) is not None]
        if not with_text:
            return messages
        counts = self._vectorizer.transform([str(m.get(TEXT)) for m in with_text]).tocsr()
        for row, message in enumerate(with_text):
            message.add_features(
                Features(counts[row], FEATURE_TYPE_SENTENCE, TEXT, self._identifier)
            )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
