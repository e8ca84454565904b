import jsQRModule from 'jsqr';
import { getDocument, OPS } from 'pdfjs-dist/legacy/build/pdf.mjs';

// jsqr is CommonJS typed as an ES default export: under NodeNext the default import is the function itself.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default;

/** The PDF's text and the content of every QR code among its images. */
export async function readPdf(bytes: ArrayBuffer): Promise<{ text: string; qrCodes: string[] }> {
  const pdf = await getDocument({ data: new Uint8Array(bytes), verbosity: 0 }).promise;
  const page = await pdf.getPage(1);
  const content = await page.getTextContent();
  const text = content.items.map((item) => ('str' in item ? item.str : '')).join('\n');
  const operators = await page.getOperatorList();
  const qrCodes: string[] = [];
  for (let i = 0; i < operators.fnArray.length; i++) {
    if (operators.fnArray[i] !== OPS.paintImageXObject) continue;
    const id = (operators.argsArray[i] as [string])[0];
    const image = await new Promise<{ width: number; height: number; data: Uint8Array }>((resolve) => {
      page.objs.get(id, resolve);
    });
    const pixels = image.width * image.height;
    const channels = image.data.length / pixels; // grey, RGB or RGBA, as pdf.js decoded it
    const rgba = new Uint8ClampedArray(pixels * 4);
    for (let p = 0; p < pixels; p++) {
      for (let c = 0; c < 3; c++) rgba[p * 4 + c] = image.data[p * channels + (channels >= 3 ? c : 0)]!;
      rgba[p * 4 + 3] = 255;
    }
    const qr = jsQR(rgba, image.width, image.height);
    if (qr) qrCodes.push(qr.data);
  }
  await pdf.destroy();
  return { text, qrCodes };
}
