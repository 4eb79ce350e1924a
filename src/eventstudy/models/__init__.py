"""Expected-return models: linear (market, factors, thin trading), GARCH, peers (an equally
weighted portfolio, a synthetic peer), volume as a measure, and the registry of names. Models fit the arrays and series handed to them and never fetch.
May import: calendar and the foundation (exceptions, defaults, formatting, progress)."""

from eventstudy.models.garch import GarchMarketModel, GarchTMarketModel
from eventstudy.models.linear import (
    CAPM,
    EXACT_FIT,
    SINGULAR_PIVOT,
    Carhart4,
    ConstantMean,
    Dimson,
    ExpectedReturnModel,
    FamaFrench3,
    FamaFrench5,
    FittedModel,
    MarketAdjusted,
    MarketModel,
    ScholesWilliams,
    exact_fit,
    singular_design,
    singular_designs,
)
from eventstudy.models.peers import PeersModel, SyntheticModel
from eventstudy.models.registry import MODELS, get_model

__all__ = ["CAPM", "EXACT_FIT", "MODELS", "SINGULAR_PIVOT", "Carhart4", "ConstantMean", "Dimson",
           "ExpectedReturnModel", "FamaFrench3", "FamaFrench5", "FittedModel", "GarchMarketModel",
           "GarchTMarketModel", "MarketAdjusted", "MarketModel", "PeersModel", "ScholesWilliams",
           "SyntheticModel", "exact_fit",
           "get_model", "singular_design", "singular_designs"]
