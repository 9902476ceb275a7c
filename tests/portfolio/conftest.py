from __future__ import annotations

import pytest

from tests.portfolio.feeds import Importer


@pytest.fixture
def run_import(engine, settings, tmp_path) -> Importer:
    return Importer(engine, settings, tmp_path)
