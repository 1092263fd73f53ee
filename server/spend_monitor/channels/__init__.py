"""Adapters that post the digest: Slack and Telegram. Each owns one API and nothing else."""

from ..domain.models import ChannelName
from .base import Channel, Chart, PostOutcome

__all__ = ["Channel", "ChannelName", "Chart", "PostOutcome"]
