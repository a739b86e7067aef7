"""Decoding evidence files under strict limits, and extracting every piece of metadata they carry."""

from refundguard.media.load import LoadedImage, load_image

__all__ = ["LoadedImage", "load_image"]
