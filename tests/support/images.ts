import { PNG } from 'pngjs';

/** A small solid-colour PNG (a logo for tests), `size` pixels square. */
export function pngImage(size = 16, rgb: [number, number, number] = [29, 78, 216]): Buffer {
  const png = new PNG({ width: size, height: size });
  for (let i = 0; i < size * size; i++) png.data.set([...rgb, 255], i * 4);
  return PNG.sync.write(png);
}
