/**
 * @module host/live
 * 开始直播 / 结束直播: the live session through the HTTP API (POST / DELETE
 * /api/rooms/{id}/live with the page's token), with the title from the input (or the room's).
 */

import { toast } from '../ui/toast.js';

function apiErrorText(status, data) {
  const err = data && data.error;
  if (status === 401) return '登录凭证无效或已过期';
  if (status === 403) return '没有权限（需要主播或场控身份）';
  if (status === 404) return '直播间不存在';
  if (status === 409) return '当前没有在直播';
  if (status === 422) return '直播标题不合法';
  if (err && err.message) return err.message;
  return '请求失败（HTTP ' + status + '）';
}

/** @param {object} ctx the host console (see host.js) */
export function installLive(ctx) {
  const { room, els } = ctx;

  async function liveApi(method, body) {
    const headers = { Authorization: 'Bearer ' + room.token };
    if (body) headers['Content-Type'] = 'application/json';
    try {
      const resp = await fetch('/api/rooms/' + encodeURIComponent(room.roomId) + '/live', {
        method,
        headers,
        body: body ? JSON.stringify(body) : undefined,
      });
      let data = null;
      try {
        data = await resp.json();
      } catch (_e) {
        data = null;
      }
      return { ok: resp.ok, status: resp.status, data };
    } catch (_e) {
      return { ok: false, status: 0, data: { error: { message: '网络错误，请重试' } } };
    }
  }

  els.start.addEventListener('click', async () => {
    const title = els.liveTitle.value.trim() || els.title.textContent.trim() || '直播中';
    els.start.disabled = true;
    const res = await liveApi('POST', { title: title.slice(0, 200) });
    if (res.ok) {
      ctx.setLive(true);
      toast('已开播：' + ((res.data && res.data.title) || title), 'ok');
    } else {
      els.start.disabled = ctx.isLive();
      toast(apiErrorText(res.status, res.data), 'error');
    }
  });

  els.end.addEventListener('click', async () => {
    els.end.disabled = true;
    const res = await liveApi('DELETE');
    if (res.ok || res.status === 409) {
      ctx.setLive(false);
      toast(res.ok ? '直播已结束' : '当前没有在直播', res.ok ? 'ok' : 'info');
    } else {
      els.end.disabled = !ctx.isLive();
      toast(apiErrorText(res.status, res.data), 'error');
    }
  });
}
