"""A Rasa 3.6 dense featurizer: one pretrained sentence embedding per message text."""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_pipeline import encoders


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a sentence-level embedding of TEXT from a pretrained multilingual encoder.

    Only sentence features: the classifier after it reads whole-message features, and the
    entity extractor works on tokens with features of its own.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # A name from nlu_pipeline.encoders.
            "encoder": "usem3",
            # BLAS threads for the forward pass; one per process leaves the other core to Rasa.
            "threads": 1,
            "batch_size": 256,
        }

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self._encoder = encoders.load(config["encoder"], threads=int(config["threads"]))

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if config.get("encoder") not in encoders.names():
            raise InvalidConfigException(
                f"SentenceEncoderFeaturizer: unknown encoder {config.get('encoder')!r}; "
                f"known: {', '.join(encoders.names())}"
            )

    def process(self, messages: list[Message]) -> list[Message]:
        with_text = [m for m in messages if m.get(TEXT) is not None]
        size = int(self._config["batch_size"])
        for start in range(0, len(with_text), size):
            batch = with_text[start : start + size]
            vectors = self._encoder.encode([str(m.get(TEXT)) for m in batch])
            for message, vector in zip(batch, vectors, strict=True):
                message.add_features(
                    Features(
                        np.expand_dims(vector, 0),
                        FEATURE_TYPE_SENTENCE,
                        TEXT,
                        self._identifier,
                    )
                )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
