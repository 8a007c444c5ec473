/**
 * @module host/playbooks-api
 * The room's playbooks over HTTP with the page's token (docs/protocol.md section 8, "Playbooks"):
 *
 *   const api = playbooksApi(room);
 *   await api.overview()               // GET  …/playbooks: {version, source, playbooks, traces, problem}
 *   await api.save(yaml)               // PUT  …/playbooks: {version, playbooks} | 422 with errors[]
 *   await api.pause(id, true)          // POST …/playbooks/{id}/pause: {version, playbook, paused}
 *   await api.runs({user, playbook})   // GET  …/playbooks/runs: {runs}
 *
 * Every call resolves with {ok, status, data}; it never rejects (a network error is status 0).
 */

function errorText(status, data) {
  const err = data && data.error;
  if (status === 0) return '网络错误，请重试';
  if (status === 401) return '登录凭证无效或已过期';
  if (status === 403) return '没有权限（需要主播或运营身份）';
  if (status === 404) return err && err.code === 'playbook.not_found' ? '剧本不存在' : '直播间不存在';
  if (status === 413) return '剧本太大';
  if (status === 422 && err && err.code === 'playbook.invalid') return '剧本校验未通过';
  if (err && err.message) return err.message;
  return '请求失败（HTTP ' + status + '）';
}

export function playbooksApi(room) {
  const base = () => '/api/rooms/' + encodeURIComponent(room.roomId) + '/playbooks';

  async function call(method, path, body) {
    const headers = { Authorization: 'Bearer ' + room.token, Accept: 'application/json' };
    if (body) headers['Content-Type'] = 'application/json';
    let resp;
    try {
      resp = await fetch(base() + path, { method, headers, cache: 'no-store', body: body ? JSON.stringify(body) : undefined });
    } catch (_e) {
      return { ok: false, status: 0, data: null, text: errorText(0, null) };
    }
    let data = null;
    try {
      data = await resp.json();
    } catch (_e) {
      data = null;
    }
    return { ok: resp.ok, status: resp.status, data, text: resp.ok ? '' : errorText(resp.status, data) };
  }

  return {
    overview: () => call('GET', ''),
    save: (source) => call('PUT', '', { source: String(source) }),
    pause: (id, paused) => call('POST', '/' + encodeURIComponent(id) + '/pause', { paused: !!paused }),
    runs({ user, playbook, limit } = {}) {
      const q = new URLSearchParams({ limit: String(limit || 20) });
      if (user) q.set('user', user);
      if (playbook) q.set('playbook', playbook);
      return call('GET', '/runs?' + q.toString());
    },
  };
}
