"""Adapters that read revenue. Each owns one external system and returns domain models."""

from .base import RevenueSnapshot, RevenueSource, SourceStatus

__all__ = ["RevenueSnapshot", "RevenueSource", "SourceStatus"]
