/**
 * A panel's chart as PNG: its standalone SVG drawn at 2× on a canvas, on the
 * theme's editor background, as a `data:image/png;base64,` URL (the histogram
 * and Signal pages both export through it).
 */
export async function svgToPngDataUrl(svg: string): Promise<string | undefined> {
  const image = new Image();
  image.src = `data:image/svg+xml;base64,${btoa(unescape(encodeURIComponent(svg)))}`;
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = image.width * 2;
  canvas.height = image.height * 2;
  const ctx = canvas.getContext('2d');
  if (!ctx) return undefined;
  ctx.scale(2, 2);
  ctx.fillStyle = getComputedStyle(document.documentElement).getPropertyValue('--vscode-editor-background').trim() || 'white';
  ctx.fillRect(0, 0, image.width, image.height);
  ctx.drawImage(image, 0, 0);
  return canvas.toDataURL('image/png');
}
