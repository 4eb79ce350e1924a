"""The models by name: every expected-return model the studies accept, linear and GARCH."""

from __future__ import annotations

from eventstudy.exceptions import ParameterError
from eventstudy.models.garch import GarchMarketModel, GarchTMarketModel
from eventstudy.models.peers import PEER_MODELS
from eventstudy.models.linear import (
    CAPM,
    Carhart4,
    ConstantMean,
    Dimson,
    ExpectedReturnModel,
    FamaFrench3,
    FamaFrench5,
    MarketAdjusted,
    MarketModel,
    ScholesWilliams,
)

__all__ = ["MODELS", "get_model"]


#: Models by name.
MODELS: dict[str, ExpectedReturnModel] = {
    m.name: m
    for m in (
        ConstantMean(),
        MarketAdjusted(),
        MarketModel(),
        CAPM(),
        FamaFrench3(),
        Carhart4(),
        FamaFrench5(),
        ScholesWilliams(),
        Dimson(),
        GarchMarketModel(),
        GarchTMarketModel(),
    )
}


def get_model(name: str | ExpectedReturnModel) -> ExpectedReturnModel:
    """Look a model up by name (or pass a model through)."""
    if isinstance(name, ExpectedReturnModel):
        return name
    if name in PEER_MODELS:
        raise ParameterError("peers", None, f"the {name} model needs its peers: "
                             f"run_event_study(..., model={name!r}, peers=['A', 'B']), "
                             f"{name.capitalize()}Model(['A', 'B']) or --peers A,B")
    if name not in MODELS:
        raise ParameterError("model", name, f"choose one of {', '.join([*MODELS, *PEER_MODELS])}")
    return MODELS[name]
