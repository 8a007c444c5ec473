/**
 * @module host/automation-text
 * The Chinese names the 自动化日志 shows for what the playbook engine reports in English: stages, run and
 * action statuses, trigger / condition / action types, invite channels, and the reason codes of refused or
 * failed actions and skipped runs (docs/playbooks.md "Reasons"). A code this table does not know is looked
 * up in the protocol's error texts (an interaction refused the action, e.g. `coupon.none_left`), else shown
 * as it is.
 */

export const STAGES = { entry: '入局', immersion: '沉浸', conversion: '转化', any: '全程' };

export const RUN_STATUS = {
  ok: '成功',
  partial: '部分成功',
  refused: '被拦截',
  failed: '失败',
  conditions_failed: '条件未满足',
  holdout: '对照组',
  skipped: '跳过',
  cancelled: '已取消',
  running: '运行中',
};

/** The order the run counts of a playbook are listed in. */
export const COUNT_ORDER = ['ok', 'partial', 'refused', 'failed', 'conditions_failed', 'holdout', 'skipped', 'cancelled'];

export const ACTION_STATUS = { ok: '成功', failed: '失败', refused: '被拦截' };

export const TRIGGERS = {
  viewer_enter: '进入直播间',
  dwell: '停留时长',
  silence: '沉默未互动',
  engagement: '互动分达标',
  stage_changed: '阶段变化',
  comment: '评论',
  gift: '送礼',
  follow: '关注',
  fanclub_join: '加入粉丝团',
  coupon_claimed: '领券',
  poll_voted: '投票',
  order_placed: '下单',
  product_changed: '换讲解商品',
  like_count: '点赞数',
  question_unanswered: '提问未回复',
  many_asked: '多人同问',
  schedule: '定时',
};

export const ACTIONS = {
  send_private: '私信',
  broadcast: '全场播报',
  show_card: '弹卡片',
  push_coupon: '发券',
  start_poll: '发起投票',
  start_lucky_bag: '发福袋',
  pin_topic: '置顶话题',
  pin_product: '讲解商品',
  ask_assistant: '助理发言',
  notify_host: '提醒主播',
  invite_private_domain: '私域邀约',
  tag_viewer: '打标签',
  add_points: '加互动分',
  hand_off: '移交跟进',
  wait: '等待',
  choose: '条件分支',
  random_split: '随机分流',
};

export const CONDITIONS = {
  viewer: '观众',
  room: '直播间',
  time: '时段',
  experiment: '实验',
  budget: '触达额度',
  and: '且',
  or: '或',
  not: '非',
};

export const CHANNELS = {
  wecom_contact: '加企业微信',
  community_group: '加入专属社群',
  mini_program: '打开小程序',
  follow_notify: '关注开播提醒',
};

const CODES = {
  'budget.before_value': '观众还没感受到价值，先不邀约',
  'budget.after_purchase': '刚下单 5 分钟内不邀约',
  'budget.gap': '距上次同类触达太近',
  'budget.session_cap': '本场同类触达已达上限',
  'budget.rate': '一分钟内触达太多',
  'budget.contended': '额度争用，稍后再试',
  quiet_hours: '免打扰时段',
  loop: '防循环：由本剧本自己的动作触发',
  chain_too_deep: '剧本连锁层数过多',
  running: '上一次运行尚未结束',
  queue_full: '排队已满',
  max_parallel: '并行运行已达上限',
  'card.no_product': '没有正在讲解的商品',
  'card.unknown_product': '商品不存在',
  'invite.not_configured': '邀约渠道未配置',
  'invite.failed': '邀约二维码生成失败',
  'assistant.unavailable': '这个直播间没有助理',
  'assistant.nothing': '助理这次没有可说的',
  'pin.no_products': '店铺没有商品',
  'pin.unknown_product': '商品不存在',
  'template.failed': '消息模板渲染失败',
  'action.needs_viewer': '这个动作需要一位观众',
  'action.error': '动作内部错误',
};

const label = (table, key) => table[key] || key || '';

export const stageText = (s) => label(STAGES, s);
export const runStatusText = (s) => label(RUN_STATUS, s);
export const actionStatusText = (s) => label(ACTION_STATUS, s);
export const triggerText = (t) => label(TRIGGERS, t);
export const actionText = (t) => label(ACTIONS, t);
export const conditionText = (t) => label(CONDITIONS, t);
export const channelText = (c) => label(CHANNELS, c);

/** The Chinese reason of a code; the protocol's error texts for an interaction's refusal; else the code. */
export function codeText(code, protocol) {
  if (!code) return '';
  if (CODES[code]) return CODES[code];
  if (protocol && protocol.errors && protocol.errors.has(code)) return protocol.errors.get(code);
  return code;
}

/** A skipped run's note "loop: …" → {code: 'loop', text: Chinese}; any other note as it is. */
export function noteText(note, protocol) {
  if (!note) return null;
  const m = /^([a-z_.]+): (.*)$/s.exec(note);
  if (!m) return { code: null, text: note };
  return { code: m[1], text: CODES[m[1]] ? codeText(m[1], protocol) : m[2] };
}

/** ✓ ✗ or – for a run status (the trace row's icon). */
export function statusIcon(status) {
  if (status === 'ok') return '✓';
  if (status === 'failed') return '✗';
  if (status === 'refused') return '⊘';
  if (status === 'partial') return '!';
  return '–';
}

/** An action's reading as the host reads it: an invite's "follow_notify state=…" names its channel. */
export function readingText(a) {
  const reading = a && a.reading ? String(a.reading) : '';
  if (a && a.type === 'invite_private_domain') {
    const m = /^([a-z_]+) state=(.*)$/.exec(reading);
    if (m) return channelText(m[1]) + (m[2] ? ' · ' + m[2] : '');
  }
  return reading;
}

const VALIDATION = {
  yaml: '不是合法的 YAML',
  type: '应为键值结构',
  missing: '缺少必填字段',
  extra_forbidden: '不认识的字段（拼写错误？）',
  union_tag_not_found: '缺少 type 字段',
  literal_error: '取值不在允许的选项中',
  too_short: '项数太少',
  too_long: '项数太多',
  string_too_short: '不能为空',
  string_too_long: '文字太长',
  string_type: '应为文字',
  string_pattern_mismatch: '格式不对',
  int_type: '应为整数',
  int_parsing: '应为整数',
  int_from_float: '应为整数',
  float_type: '应为数字',
  float_parsing: '应为数字',
  bool_type: '应为 true 或 false',
  bool_parsing: '应为 true 或 false',
  greater_than: '数值太小',
  greater_than_equal: '数值太小',
  less_than: '数值太大',
  less_than_equal: '数值太大',
  list_type: '应为列表',
  dict_type: '应为键值结构',
  model_type: '应为键值结构',
  value_error: '取值不合法',
  'template.invalid': '消息模板写法有误',
  'template.unsafe': '消息模板用了不允许的写法',
  'template.unknown_variable': '消息模板用了不认识的变量',
  'playbook.duplicate_id': '剧本 id 重复',
  'experiment.duplicate_variant': '实验分组名重复',
  'action.invalid': '动作不合法',
  'action.needs_viewer': '这个动作需要观众触发，房间级触发不能用',
  'assistant.needs_group': 'answer_group 需要 many_asked 触发',
  'wait.too_long': '等待超出本场计划时长',
  'invite.budget': '同一次运行里两次邀约间隔不足 10 分钟',
  'invite.before_value': '进场就邀约需要价值条件，或写明 override_value_gate',
};

/** A validation error ({path, message, type}) in a few Chinese words; '' when the type is not known. */
export function validationText(e) {
  if (!e) return '';
  if (e.type === 'union_tag_invalid') {
    const m = /Input tag '([^']*)'/.exec(e.message || '');
    return m ? '未知的类型「' + m[1] + '」' : '未知的类型';
  }
  return VALIDATION[e.type] || '';
}
