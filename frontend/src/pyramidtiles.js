// The tile layer of an image pyramid, drawn at any zoom, whole or fractional, without
// seams. Leaflet draws the tiles of a level at their own size in a box it scales by
// 2^(zoom - level); at a fractional scale, tile edges then fall inside screen pixels,
// and the pixel two tiles share is only partly covered by each: the background shows
// through it as a faint dark line. Here the level's box is never scaled: every tile is
// given its own box in screen pixels, its edges the rounded screen positions of its
// image edges, so neighbours share an edge exactly and between them every screen
// pixel is covered once (see _placeTile for a last row or column Chromium draws faint).
// During Leaflet's zoom animation the box is scaled as Leaflet does (the tiles laid out
// for the zoom the animation starts from). The map's box must itself start on a whole
// screen pixel (the pages are laid out in whole pixels): Chromium draws a box that starts
// between pixels resampled, with a faint first row or column in each tile.
//
// Border tiles come at their true size (the image does not fill them): each is drawn at
// that size times its level's display scale, so the image is never stretched. Tiles are
// scaled without interpolation (viewer.css), at every zoom: pixels beyond native
// resolution are square and sharp, and no tile's edge is blended with what lies
// outside it (smooth scaling darkens a tile's last row or column).
//
// The tiles of the native level (those shown from 1:1 on, over-zoomed to single
// pixels) may be asked for as PNG (options.losslessFrom): lossless, each screen square the rendering of its own
// pixel, without JPEG's blocks and ringing around stars; the reduced levels stay JPEG.
import L from "leaflet";

export const PyramidTiles = L.TileLayer.extend({
  // options.losslessFrom: the first level asked for as PNG (the viewer's native level;
  // none by default, as for the overview's one small tile).
  getTileUrl(coords) {
    const url = L.TileLayer.prototype.getTileUrl.call(this, coords);
    const from = this.options.losslessFrom;
    return from !== undefined && coords.z >= from ? url.replace(/\.jpg(?=\?|$)/, ".png") : url;
  },

  // A tile counts as loaded (and the layer's "load" fires) once it is decoded: a map
  // out of sight (a blinked image not shown) then has its tiles ready to paint.
  createTile(coords, done) {
    const decoded = (error, tile) => {
      if (error || !tile.decode) done(error, tile);
      else tile.decode().then(() => done(error, tile), () => done(error, tile));
    };
    const tile = L.TileLayer.prototype.createTile.call(this, coords, decoded);
    tile.addEventListener("load", () => this._placeTile(tile, coords));
    return tile;
  },

  // A view set anew (a zoom without animation, a jump): Leaflet takes every tile away
  // and the map shows nothing until the new ones load. Here the drawn tiles stay,
  // placed for the new view, until the new ones cover them (Leaflet's pruning), so a
  // map always shows its last drawn frame.
  _invalidateAll() {
    this._tileZoom = undefined;
  },

  _addTile(coords, container) {
    L.TileLayer.prototype._addTile.call(this, coords, container);
    const tile = this._tiles[this._tileCoordsToKey(coords)];
    if (tile) this._placeTile(tile.el, coords);
  },

  _setZoomTransform(level, center, zoom) {
    const map = this._map;
    const scale = map.getZoomScale(zoom, level.zoom);
    const pixelOrigin = map._getNewPixelOrigin(center, zoom);
    if (map._animatingZoom && level.laidOut) {
      // Leaflet's transition: the box scales from the layout made for the start.
      const translate = level.origin.multiplyBy(scale).subtract(pixelOrigin).round();
      L.DomUtil.setTransform(level.el, translate, scale / level.laidOut);
      return;
    }
    level.laidOut = scale;
    L.DomUtil.setTransform(level.el, level.origin.multiplyBy(scale).round().subtract(pixelOrigin), 1);
    for (const tile of Object.values(this._tiles)) {
      if (tile.coords.z === level.zoom) this._placeTile(tile.el, tile.coords);
    }
  },


  // A tile's box in its level's (unscaled) box: the screen pixels its image covers.
  _placeTile(tile, coords) {
    const level = this._levels[coords.z];
    if (!level || !level.laidOut) return;
    const scale = level.laidOut;
    const size = this.getTileSize();
    const perTilePixel = size.x / this.options.tileSize; // level pixels per pixel of the tile
    const width = tile.naturalWidth ? tile.naturalWidth * perTilePixel : size.x;
    const height = tile.naturalHeight ? tile.naturalHeight * perTilePixel : size.y;
    const [x, y] = [coords.x * size.x, coords.y * size.y];
    const [ox, oy] = [Math.round(level.origin.x * scale), Math.round(level.origin.y * scale)];
    // Edges on whole device pixels (of a map whose box starts on one: viewer.css and
    // compare.css lay the pages out in whole pixels).
    const dpr = window.devicePixelRatio || 1;
    const edgeX = (u) => Math.round(u * scale * dpr) / dpr - ox;
    const edgeY = (u) => Math.round(u * scale * dpr) / dpr - oy;
    const [left, top] = [edgeX(x), edgeY(y)];
    // At a fractional scale, Chromium may leave the last screen column or row of a
    // scaled image partly transparent: the image is drawn one pixel larger and clipped
    // to its box. At whole scales (whole zooms), it is drawn exactly, every image pixel
    // the same number of screen pixels.
    const shown = size.x * scale * dpr;
    const bleed = Math.abs(shown - Math.round(shown)) > 1e-6 ? 1 / dpr : 0;
    L.DomUtil.setPosition(tile, L.point(left, top));
    tile.style.width = `${edgeX(x + width) - left + bleed}px`;
    tile.style.height = `${edgeY(y + height) - top + bleed}px`;
    tile.style.clipPath = bleed ? `inset(0 ${bleed}px ${bleed}px 0)` : "";
  },
});
