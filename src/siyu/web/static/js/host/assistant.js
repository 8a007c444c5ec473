/**
 * @module host/assistant
 * The AI assistant's room-wide lines in the console's stream: answers many viewers asked for
 * ("助理 3 人在问：这件多少钱 …") and companion lines while the host is away. Personal answers go
 * to the asker only; the console sees them as the question's suggestion (host/questions.js).
 */

import { h } from '../ui/dom.js';
import { aiBadge } from '../ui/badges.js';

/** @param {object} ctx the host console (see host.js) */
export function installAssistant(ctx) {
  ctx.room.on('assistant', (m) => {
    if (m.to !== 'room' && typeof m.seq !== 'number') return; // a personal answer
    const asked = Number(m.asked) || 0;
    ctx.stream.add(
      ctx.stream.line(
        'assistant',
        { seq: m.seq, type: 'assistant', intent: m.intent, productId: m.product_id },
        m.ts,
        aiBadge('助理'),
        m.question ? h('span', { class: 'assistant-asked' }, (asked > 1 ? asked + ' 人在问：' : '有观众问：') + m.question + ' ') : null,
        h('div', { class: 'text' }, m.text || '')
      ),
      false
    );
  });
}
