/**
 * @module ui/yaml-locate
 * Where a validation error's path (`playbooks[2].actions[0].text`, as the server names it) is in a YAML
 * document, so the editor can show "第 12 行" and put the cursor there. Best effort over block-style YAML
 * (keys and `- ` list items by indentation; a flow value `{type: x}` or `[a, b]` ends the walk on its line):
 * it returns the line of the deepest part of the path it could find, or -1. It never throws.
 *
 *   locateLine(source, 'playbooks[1].trigger')   // 0-based line index, or -1
 */

/** 'a[0].b' → [{key: 'a'}, {index: 0}, {key: 'b'}] */
export function pathParts(path) {
  const parts = [];
  const re = /([^.[\]]+)|\[(\d+)\]/g;
  let m;
  while ((m = re.exec(String(path || '')))) {
    if (m[2] != null) parts.push({ index: Number(m[2]) });
    else parts.push({ key: m[1] });
  }
  return parts;
}

const indentOf = (line) => line.length - line.trimStart().length;
const isBlank = (line) => !line.trim() || line.trimStart().startsWith('#');
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The end of a key's block: the first line less indented than the key, or as indented and not a `- ` item. */
function keyBlockEnd(lines, hit, end, col) {
  for (let i = hit + 1; i < end; i += 1) {
    const line = lines[i];
    if (isBlank(line)) continue;
    const c = indentOf(line);
    if (c < col || (c === col && !/^\s*-(\s|$)/.test(line))) return i;
  }
  return end;
}

export function locateLine(source, path) {
  try {
    const lines = String(source || '').split('\n');
    const at = /^line (\d+)/.exec(String(path || '')); // a YAML syntax error: "line 3, column 5"
    if (at) return Math.min(Number(at[1]), lines.length) - 1;
    let start = 0;
    let end = lines.length;
    let found = -1;
    for (const part of pathParts(path)) {
      if (part.key != null) {
        const re = new RegExp('^(\\s*(?:-\\s+)*)(["\']?)' + escape(part.key) + '\\2\\s*:');
        let hit = -1;
        for (let i = start; i < end && hit < 0; i += 1) {
          const m = re.exec(lines[i]);
          if (m) hit = i;
          else if (i === start && found >= 0 && new RegExp('[{,]\\s*' + escape(part.key) + '\\s*:').test(lines[i])) return i;
        }
        if (hit < 0) return found;
        found = hit;
        const col = re.exec(lines[hit])[1].length;
        const rest = lines[hit].slice(lines[hit].indexOf(':', col) + 1).trim();
        if (rest && !rest.startsWith('#') && !rest.startsWith('|') && !rest.startsWith('>')) return hit; // a value on this line
        start = hit + 1;
        end = keyBlockEnd(lines, hit, end, col);
      } else {
        let col = -1;
        let n = -1;
        let hit = -1;
        for (let i = start; i < end; i += 1) {
          const line = lines[i];
          if (isBlank(line) || !/^\s*-(\s|$)/.test(line)) continue;
          const c = indentOf(line);
          if (col < 0) col = c;
          if (c !== col) continue;
          n += 1;
          if (n === part.index) {
            hit = i;
            break;
          }
        }
        if (hit < 0) return found;
        found = hit;
        start = hit;
        let next = end;
        for (let i = hit + 1; i < end; i += 1) {
          if (!isBlank(lines[i]) && indentOf(lines[i]) <= col) {
            next = i;
            break;
          }
        }
        end = next;
      }
    }
    return found;
  } catch (_e) {
    return -1;
  }
}
