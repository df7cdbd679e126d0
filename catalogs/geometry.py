"""Positions of features and angular distances (framework-free, degrees)."""

import numpy as np


def feature_center(feature):
    """(lon, lat) of a feature: its point, or the mean of its vertices (RA-wrap aware)."""
    geometry = feature["geometry"]
    kind, coordinates = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        return float(coordinates[0]), float(coordinates[1])
    points = np.array(list(_points(coordinates)), dtype=float)
    if (feature.get("properties") or {}).get("frame") == "image":
        return float(points[:, 0].mean()), float(points[:, 1].mean())
    lon = np.radians(points[:, 0])
    mean_lon = np.degrees(np.arctan2(np.sin(lon).mean(), np.cos(lon).mean())) % 360.0
    return float(mean_lon), float(points[:, 1].mean())


def _points(coordinates):
    if coordinates and isinstance(coordinates[0], int | float):
        yield coordinates
        return
    for item in coordinates:
        yield from _points(item)


def angular_distance(ra1, dec1, ra2, dec2):
    """Great-circle distance in degrees (Vincenty's formula: stable at all separations)."""
    ra1, dec1, ra2, dec2 = (np.radians(np.asarray(v, dtype=float)) for v in (ra1, dec1, ra2, dec2))
    dra = ra2 - ra1
    sin_d1, cos_d1, sin_d2, cos_d2 = np.sin(dec1), np.cos(dec1), np.sin(dec2), np.cos(dec2)
    numerator = np.hypot(cos_d2 * np.sin(dra), cos_d1 * sin_d2 - sin_d1 * cos_d2 * np.cos(dra))
    denominator = sin_d1 * sin_d2 + cos_d1 * cos_d2 * np.cos(dra)
    return np.degrees(np.arctan2(numerator, denominator))
