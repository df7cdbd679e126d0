// A Leaflet CRS for an image pyramid: at the native (full resolution) zoom, one map
// unit is one image pixel, lat counting rows down from the top and lng columns from the
// left. FITS pixels (1-based, y up) convert with fitsToLatLng / latLngToFits.
import L from "leaflet";

export function pyramidCrs(levels) {
  const scale = 1 / 2 ** (levels - 1);
  return L.extend({}, L.CRS.Simple, {
    transformation: new L.Transformation(scale, 0, scale, 0),
  });
}

export function latLngToFits(latlng, height) {
  return { x: latlng.lng + 0.5, y: height - latlng.lat + 0.5 };
}

export function fitsToLatLng(x, y, height) {
  return L.latLng(height - y + 0.5, x - 0.5);
}
