"""Adapters that post the digest: Slack and Telegram. Each owns one API and nothing else."""

from .base import Channel, ChannelName, Chart, PostOutcome

__all__ = ["Channel", "ChannelName", "Chart", "PostOutcome"]
