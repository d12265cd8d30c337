/**
 * Map symbols drawn on a canvas (no glyph or sprite server): the shape tells the domain, the
 * colour AND the mark inside tell the state (✓ normal, ! warning, ✕ alert, – off).
 */
import type { Domain, State } from './model';

export const STATE_COLOUR: Record<State, string> = { ok: '#1a7f37', warning: '#b35900', alert: '#c62828', off: '#5f6b7a' };
const MARK: Record<State, string> = { ok: '✓', warning: '!', alert: '✕', off: '–' };
const SIZE = 22;

function shape(c: CanvasRenderingContext2D, domain: Domain): void {
  const m = SIZE / 2;
  const r = m - 2;
  c.beginPath();
  if (domain === 'environment') c.arc(m, m, r, 0, Math.PI * 2);
  else if (domain === 'mobility') c.rect(2, 2, SIZE - 4, SIZE - 4);
  else if (domain === 'water') {
    c.moveTo(m, 1);
    c.lineTo(SIZE - 1, m);
    c.lineTo(m, SIZE - 1);
    c.lineTo(1, m);
  } else if (domain === 'energy') {
    c.moveTo(m, 1);
    c.lineTo(SIZE - 1, SIZE - 2);
    c.lineTo(1, SIZE - 2);
  } else {
    for (let i = 0; i < 6; i++) c.lineTo(m + r * Math.cos((Math.PI / 3) * i), m + r * Math.sin((Math.PI / 3) * i));
  }
  c.closePath();
}

export function iconName(domain: Domain, state: State): string {
  return `${domain}-${state}`;
}

export function drawIcon(domain: Domain, state: State): ImageData {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = SIZE;
  const c = canvas.getContext('2d')!;
  shape(c, domain);
  c.fillStyle = STATE_COLOUR[state];
  c.fill();
  c.lineWidth = 2;
  c.strokeStyle = '#ffffff';
  c.stroke();
  c.fillStyle = '#ffffff';
  c.font = 'bold 12px sans-serif';
  c.textAlign = 'center';
  c.textBaseline = 'middle';
  c.fillText(MARK[state], SIZE / 2, SIZE / 2 + (domain === 'energy' ? 3 : 1));
  return c.getImageData(0, 0, SIZE, SIZE);
}
