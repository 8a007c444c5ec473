/**
 * @module ui/dom
 * DOM helpers. Everything that puts text into the page goes through text nodes (or textContent):
 * nothing here, or anywhere in these pages, assigns user data to innerHTML.
 */

/** document.getElementById */
export const $ = (id) => document.getElementById(id);

/**
 * h('li', {class: 'msg', dataset: {seq: 3}, title: 'x', onclick: fn}, 'text', otherNode, [more])
 * Strings and numbers become text nodes; null / false children and attributes are skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'dataset') {
        for (const [dk, dv] of Object.entries(v)) if (dv != null) el.dataset[dk] = String(dv);
      } else if (k === 'text') el.textContent = String(v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  for (const c of children) append(el, c);
  return el;
}

/** Append a child: a node, a string / number (as a text node) or an array of those. */
export function append(el, c) {
  if (c == null || c === false) return;
  if (Array.isArray(c)) {
    for (const x of c) append(el, x);
  } else if (c instanceof Node) {
    el.appendChild(c);
  } else {
    el.appendChild(document.createTextNode(String(c)));
  }
}

/** Remove the oldest children (first ones, or last ones when fromTop is false) until `max` remain. */
export function capChildren(list, max, fromTop = true) {
  while (list.children.length > max) {
    list.removeChild(fromTop ? list.firstElementChild : list.lastElementChild);
  }
}

/** Restart a CSS animation / transition on `el` (class toggle or inline animation reset). */
export function restartAnimation(el, className) {
  if (className) el.classList.remove(className);
  else el.style.animation = 'none';
  void el.offsetWidth;
  if (className) el.classList.add(className);
  else el.style.animation = '';
}

/** Set a counter element: data-value holds the exact number, the text the short form (1.2万). */
export function setCount(el, n, format) {
  n = Number(n) || 0;
  el.dataset.value = String(n);
  el.textContent = format ? format(n) : String(n);
}
