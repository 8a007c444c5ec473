/**
 * @module ui/hearts
 * Floating hearts over the viewer's video (a tap on 点赞, or other viewers' likes).
 */

import { h } from './dom.js';

const HEART_COLORS = ['#ff4f7b', '#ff8a3d', '#ffd23f', '#7ee081', '#4fc3ff', '#b28dff', '#ff6ad5'];

/** Returns spawn(): float one heart in `layer` (at most 40 at once). */
export function createHearts(layer) {
  return function spawnHeart() {
    if (layer.childElementCount > 40) return;
    const heart = h('span', { class: 'heart' }, '♥');
    heart.style.setProperty('--dx', Math.round(Math.random() * 110 - 80) + 'px');
    heart.style.setProperty('--rot', Math.round(Math.random() * 50 - 25) + 'deg');
    heart.style.setProperty('--heart-color', HEART_COLORS[Math.floor(Math.random() * HEART_COLORS.length)]);
    heart.style.setProperty('--heart-dur', (1.3 + Math.random() * 0.8).toFixed(2) + 's');
    heart.style.fontSize = Math.round(22 + Math.random() * 12) + 'px';
    heart.addEventListener('animationend', () => heart.remove());
    setTimeout(() => heart.remove(), 3000); // in case animations are off
    layer.appendChild(heart);
  };
}
