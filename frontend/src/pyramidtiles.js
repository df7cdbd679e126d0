// The tile layer of an image pyramid. Border tiles come at their true size (the image
// does not fill them): each is shown at that size times its level's display scale, so
// the image is never stretched, at native resolution or beyond it (where tiles are
// scaled without interpolation, see viewer.css) or below level 0 (the overview).
import L from "leaflet";

export const PyramidTiles = L.TileLayer.extend({
  createTile(coords, done) {
    const tile = L.TileLayer.prototype.createTile.call(this, coords, done);
    const scale = this.getTileSize().x / this.options.tileSize;
    tile.addEventListener("load", () => {
      tile.style.width = `${tile.naturalWidth * scale}px`;
      tile.style.height = `${tile.naturalHeight * scale}px`;
    });
    return tile;
  },
});
