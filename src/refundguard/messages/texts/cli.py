"""Sentences of the command line: errors, progress stages and the summary it prints."""

from refundguard.messages.catalogue import CATALOGUE

CATALOGUE.define("cli.", {
    "bad_time": ("{option}: {value!r} is not an ISO-8601 date/time (e.g. 2026-05-01T14:30+08:00)",
                 "{option}：{value!r} 不是 ISO-8601 日期时间（例如 2026-05-01T14:30+08:00）"),
    "bad_lang": ("--lang must be zh or en", "--lang 只能是 zh 或 en"),
    "bad_timezone": ("--timezone: {value!r} is not a time zone (an IANA name such as Asia/Shanghai)",
                     "--timezone：{value!r} 不是时区（应为 IANA 名称，例如 Asia/Shanghai）"),
    "unknown_checks": ("unknown check(s) {unknown:list}; known: {known:list}",
                       "未知的检查：{unknown:list}；可用：{known:list}"),
    "no_image": ("no image found in the given claim path(s)", "在给出的凭证路径中未找到图片"),
    "bad_amount": ("--amount must be a non-negative number", "--amount 必须是非负数"),
    "cannot_write": ("cannot write {path}: {why}", "无法写入 {path}：{why}"),
    "cannot_read": ("cannot read {path}: {why}", "无法读取 {path}：{why}"),
    "cannot_listen": ("cannot listen on {host}:{port}: {why}", "无法监听 {host}:{port}：{why}"),
    "no_image_in_paths": ("no image found in the given path(s)", "在给出的路径中未找到图片"),
    "index_db_error": ("reuse index database error: {detail}", "复用索引数据库错误：{detail}"),
    "no_index": ("no reuse index configured: pass --index URL or set REFUNDGUARD_INDEX_URL",
                 "未配置复用索引：请传入 --index URL 或设置 REFUNDGUARD_INDEX_URL"),
    "ledger_unavailable": ("the ledger cannot open its database or keys: {detail}",
                           "账本无法打开其数据库或密钥：{detail}"),
    "bad_reason": ("--reason must be court_decision, issuer_withdrawn or appeal_upheld",
                   "--reason 只能是 court_decision、issuer_withdrawn 或 appeal_upheld"),
    "no_standing_entry": ("no standing entry {entry_id!r} issued by {platform}",
                          "{platform} 没有发布有效条目 {entry_id!r}"),
    "database_missing": ("{detail} — database {url}; create it with `refundguard db upgrade` or `refundguard serve`, "
                         "or pass --database-url",
                         "数据库不存在或未初始化（{url}）：{detail}；请用 `refundguard db upgrade` 或 "
                         "`refundguard serve` 创建，或传入 --database-url"),
    "database_unusable": ("database {url} is not usable: {detail}", "数据库 {url} 不可用：{detail}"),
    "bad_workers_backend": ("--workers-backend must be local or celery", "--workers-backend 只能是 local 或 celery"),
    "checkpoint_file": ("checkpoint file {path}: {detail}", "检查点文件 {path}：{detail}"),
    "public_key_file": ("--public-key {path}: {detail}", "--public-key {path}：{detail}"),
    "no_trusted_key": ("cannot check checkpoint signatures: no signing key file and no --public-key",
                       "无法校验检查点签名：没有签名密钥文件，也未传入 --public-key"),
    "tenant_or_global": ("give --tenant NAME or --global", "请指定 --tenant NAME 或 --global"),
    "chain_diverged": ("chain {chain} no longer contains the checkpoint the service holds: nothing signed; run "
                       "`refundguard audit verify`",
                       "审计链 {chain} 已不包含服务持有的检查点：未签发；请运行 `refundguard audit verify`"),
    "chain_empty": ("chain {chain} has no entries", "审计链 {chain} 没有条目"),
    "no_signing_key": ("no audit signing key", "没有审计签名密钥"),
    "internal_error": ("internal error ({kind}: {detail}); set REFUNDGUARD_DEBUG=1 for the traceback",
                       "内部错误（{kind}：{detail}）；设置 REFUNDGUARD_DEBUG=1 可查看调用栈"),
    "interrupted": ("interrupted", "已中断"),
    # a command line the parser refused (Click's own English stays above this line)
    "usage.missing_option": ("missing option {name}", "缺少选项 {name}"),
    "usage.missing_argument": ("missing argument {name}", "缺少参数 {name}"),
    "usage.no_such_option": ("no such option: {name}", "没有这个选项：{name}"),
    "usage.no_such_option_near": ("no such option: {name} (did you mean {near:list}?)",
                                  "没有这个选项：{name}（是否想用 {near:list}？）"),
    "usage.bad_value": ("invalid value for {name}", "{name} 的值无效"),
    "usage.bad_option": ("option {name} used wrongly", "选项 {name} 用法有误"),
    "usage.no_such_command": ("no such command {name}", "没有这个命令：{name}"),
    "usage.other": ("the command line is not valid", "命令行用法有误"),
    "usage.help": ("{message}; run `{command} --help` for the usage", "{message}；运行 `{command} --help` 查看用法"),
    "no_cjk_font": ("no Chinese (CJK) font is installed: evidence bundles (PDF) will be refused until one is "
                    "(`make fonts`, or apt-get install fonts-wqy-microhei)",
                    "未安装中文字体：在安装之前，证据材料（PDF）将无法生成（运行 `make fonts`，或 apt-get install "
                    "fonts-wqy-microhei）"),
    "error": ("error: {message}", "错误：{message}"),
    "no_photo": ("no claim photo given", "未提供凭证图片"),
    "no_such_file": ("{file}: no such file", "{file}：文件不存在"),
    "not_a_folder_image": ("{folder}: no photo in this folder", "{folder}：文件夹中没有图片"),
    "unusable": ("{file}: {what:msg:input_problem.} ({detail})", "{file}：{what:msg:input_problem.}（{detail}）"),
    "config": ("configuration: {detail}", "配置错误：{detail}"),
    "written": ("written: {path}", "已写入：{path}"),
    "risk": ("risk {risk:pct0} · {level:msg:level.}", "风险 {risk:pct0} · {level:msg:level.}"),
    "no_evidence": ("No evidence of AI generation or editing was found. Absence of evidence is not proof of "
                    "authenticity.", "未发现 AI 生成或编辑的证据。没有证据并不等于证明图片真实。"),
    "photo_line": ("{image:photo} ({role:msg:role.}): risk {risk:pct0} · {level:msg:level.}",
                   "{image:photo}（{role:msg:role.}）：风险 {risk:pct0} · {level:msg:level.}"),
    "check_failed": ("check {check:msg:check.} failed: {error}", "{check:msg:check.}检查运行失败：{error}"),
    "not_examined": ("{check:msg:check.} did not examine {image:photo}: {why}",
                     "{check:msg:check.}未检查 {image:photo}：{why}"),
    "claim_done": ("claim {n} of {total}: {name}", "第 {n}/{total} 个申请：{name}"),
})

CATALOGUE.define("stage.", {
    "queued": ("waiting to start…", "排队等待…"),
    "decoding": ("decoding {file}…", "正在解码 {file}…"),
    "checking": ("checking: {check:msg:check.}…", "正在检查：{check:msg:check.}…"),
    "comparing": ("comparing with the listing photo…", "正在与商品图比对…"),
    "assessing": ("weighing the findings…", "正在综合判断…"),
    "report": ("writing the report…", "正在生成报告…"),
    "bundle": ("writing the evidence bundle…", "正在生成证据材料…"),
    "bundle.figures": ("drawing the photos and crops…", "正在绘制图片与局部放大图…"),
    "bundle.pdf": ("laying out the PDF…", "正在排版 PDF…"),
    "done": ("done", "完成"),
    "failed": ("the analysis failed", "分析失败"),
})

# the summary `refundguard analyze` prints (its first line: the level and what it rests on, in short words)
CATALOGUE.define("cli.level.", {
    "low": ("low", "低风险"), "review": ("review", "需人工审核"), "high": ("high", "高风险"),
})
CATALOGUE.define("cli.basis.", {
    "verified": ("verified", "已核实"), "unverified": ("unverified", "未经核实"),
    "incomplete": ("incomplete analysis", "分析不完整"),
})
CATALOGUE.define("cli.summary.", {
    "risk": ("risk {risk:pct0} · {level:msg:cli.level.}", "风险 {risk:pct0} · {level:msg:cli.level.}"),
    "basis": (" · {basis:msg:cli.basis.}", " · {basis:msg:cli.basis.}"),
    "nothing": ("no evidence of forgery found (absence of evidence is not proof of authenticity)",
                "未发现伪造证据（没有证据不等于证明真实）"),
    "note": ("note: {file}: {text}", "注意：{file}：{text}"),
    "check_failed": ("check {check} failed: {error}", "{check} 检查运行失败：{error}"),
    "html": ("HTML report: {path}", "HTML 报告: {path}"),
})
CATALOGUE.define("cli.column.", {
    "image": ("image", "图片"), "role": ("role", "角色"), "risk": ("risk", "风险"), "findings": ("findings", "发现"),
})
