"""Sentences of the ``provenance`` check: its findings, the photos it could not read completely and the
verification it records.

Each finding's parameters are its ``details`` (:mod:`refundguard.checks.provenance` and its detectors): what was
read from the file (tags, values, sources as the file names them), shown as it is, long values cut (``short:N``),
names kept in both languages shown in the reader's (``lang``), finding codes by their titles (``codes``). A
finding on a reference photo is ``code:on_reference`` (``sentence`` names the sentence); several observations of
one code are ``code:several`` (``items``).

The skip of a photo analysed at reduced size names the reduction (:mod:`refundguard.messages.texts.media`,
parameters :meth:`refundguard.media.budget.Reduction.params`); ``sources`` are the metadata blocks that could not
be read (``XMP in APP1`` …, as the file names them); ``image`` is the photo's report index.
"""

from refundguard.messages.catalogue import CATALOGUE

CATALOGUE.define("provenance.skip.", {
    "reduced_alpha": ("Alpha-channel payloads (NovelAI stealth pnginfo) were not read; this photo was "
                      "{scope:parts:media.reduced.}.",
                      "未读取 Alpha 通道载荷（NovelAI stealth pnginfo），此图片{scope:parts:media.reduced.}。"),
    "unreadable": ("metadata partly unreadable ({sources:list})", "元数据部分无法读取（{sources:list}）"),
})
CATALOGUE.define("provenance.verified.", {
    "read": ("{image:photo}: every metadata block read", "{image:photo}：所有元数据块均已读取"),
})


def _code(code: str, sentences: dict[str, tuple[str, str]]) -> None:
    """The sentences of one finding code, plus ``several`` (one finding for several observations of the code:
    ``items``, each with its sentence's name as ``part``) and ``on_reference`` (a finding on a reference photo:
    "Reference photo: " and the sentence named by ``sentence``)."""
    CATALOGUE.define(code + ":", {
        **sentences,
        "several": (f"{{items:parts:{code}:}}", f"{{items:parts:{code}:}}"),
        "on_reference": (f"Reference photo: {{sentence:parts:{code}:}}", f"参考图片：{{sentence:parts:{code}:}}"),
    })


# ------------------------------------------------------------------------------------------------- C2PA
CATALOGUE.define("provenance.c2pa.", {
    "the_file": ("the file", "文件"),
    "unknown_tool": ("unknown tool", "未知"),
    "unknown_issuer": ("unknown issuer", "未知"),
    "no_source_type": ("no digital source type", "无数字来源类型"),
})
# where an integrity failure was found (``details.place``)
CATALOGUE.define("provenance.c2pa.place.", {
    "active": ("active manifest", "当前清单"),
    "ingredient": ("ingredient {uri}", "成分 {uri}"),
    "recorded": ("ingredient '{title}' of {manifest} (recorded when it was added)",
                 "{manifest} 的成分“{title}”（添加时已记录）"),
})
CATALOGUE.define("provenance.c2pa.more.", {
    "actions": ("; {count:plural:more AI action|more AI actions}", "；另有 {count} 个 AI 操作"),
})
_ACTION_EN = ("{shown_action[manifest]} records action {shown_action[action]} with digital source type "
              "{shown_action[source_type]} (AI), software {shown_action[agent]:or:provenance.c2pa.unknown_tool}, "
              "signed by {shown_action[issuer]:or:provenance.c2pa.unknown_issuer} ({shown_action[common_name]}); "
              "trust state {trust_state}{more_actions:parts:provenance.c2pa.more.}")
_ACTION_ZH = ("{shown_action[manifest]} 记录了操作 {shown_action[action]}，数字来源类型 {shown_action[source_type]}"
              "（AI 生成），"
              "软件 {shown_action[agent]:or:provenance.c2pa.unknown_tool}，签名者 "
              "{shown_action[issuer]:or:provenance.c2pa.unknown_issuer}（{shown_action[common_name]}）；信任状态 "
              "{trust_state}{more_actions:parts:provenance.c2pa.more.}")
_code("provenance.c2pa.ai_source", {
    "active": ("C2PA: the active manifest " + _ACTION_EN, "C2PA：当前清单 " + _ACTION_ZH),
    "ingredient": ("C2PA: an ingredient (parent) manifest " + _ACTION_EN, "C2PA：成分（上游）清单 " + _ACTION_ZH),
})
_code("provenance.c2pa.tampered", {
    "integrity": ("C2PA integrity failure ({failure_codes:list}) in the {place:parts:provenance.c2pa.place.}: the file "
                  "or its manifest was changed after signing (a certificate problem would not show this)",
                  "C2PA 完整性校验失败（{failure_codes:list}），位置：{place:parts:provenance.c2pa.place.}："
                  "签名后文件或清单被改动（证书问题不会产生此结果）"),
})
_code("provenance.c2pa.valid_capture", {
    "capture": ("Valid C2PA manifest {shown_action[manifest]}: action {shown_action[action]} "
                "({shown_action[source_type]:or:provenance.c2pa.no_source_type}) by "
                "{shown_action[agent]:or:provenance.c2pa.unknown_tool}, signed by "
                "{shown_action[issuer]:or:provenance.c2pa.unknown_issuer}; no AI source type anywhere in "
                "{manifest_count:plural:manifest|manifests}; trust state {trust_state}",
                "有效的 C2PA 清单 {shown_action[manifest]}：操作 {shown_action[action]}"
                "（{shown_action[source_type]:or:provenance.c2pa.no_source_type}），工具 "
                "{shown_action[agent]:or:provenance.c2pa.unknown_tool}，签名者 "
                "{shown_action[issuer]:or:provenance.c2pa.unknown_issuer}；{manifest_count} 份清单中均无 AI 来源类型；"
                "信任状态 {trust_state}"),
})
_code("provenance.c2pa.unverified", {
    "remote": ("C2PA: remote manifest, not checked (it lives at {remote_url}; fetching is disabled offline)",
               "C2PA：远程清单，未校验（位于 {remote_url}；离线模式下不下载）"),
    "unreadable": ("C2PA manifest in {container:or:provenance.c2pa.the_file} could not be validated: "
                   "{error:short:120}",
                   "{container:or:provenance.c2pa.the_file} 中的 C2PA 清单无法校验：{error:short:120}"),
})

# ------------------------------------------------------------------------------------------- GB 45438
CATALOGUE.define("provenance.label.form.", {
    "xmp-element": ("XMP element", "XMP 元素形式"), "xmp-attribute": ("XMP attribute", "XMP 属性形式"),
    "text-chunk": ("PNG text chunk", "PNG 文本块"), "exif": ("EXIF field", "EXIF 字段"),
    "jpeg-segment": ("JPEG segment", "JPEG 段"), "xmp-prefix-only": ("XMP, prefix only", "XMP 仅前缀"),
})
CATALOGUE.define("provenance.label.service.", {
    "generation": ("generation service", "生成服务"), "propagation": ("propagation service", "传播服务"),
    "unknown": ("unknown service", "未知服务"),
})
CATALOGUE.define("provenance.label.role.", {"producer": ("producer", "生成"), "propagator": ("propagator", "传播")})
# a producer or propagator (``{"part": "code" | "plain", ...}``)
CATALOGUE.define("provenance.label.party.", {
    "code": ("{code} (USCC {uscc}{product:parts:provenance.label.product.}, "
             "{service_kind:msg:provenance.label.service.}, app {app})",
             "{code}（统一社会信用代码 {uscc}{product:parts:provenance.label.product.}，"
             "{service_kind:msg:provenance.label.service.}，应用编码 {app}）"),
    "plain": ("{text:short:60}", "{text:short:60}"),
})
CATALOGUE.define("provenance.label.product.", {"known": (" = {name:lang}", " = {name:lang}")})
CATALOGUE.define("provenance.label.propagation.", {
    "propagator": ("; propagator {propagator:parts:provenance.label.party.}, PropagateID {propagate_id:short:60}",
                   "；传播服务提供者 {propagator:parts:provenance.label.party.}，内容传播编号 {propagate_id:short:60}"),
})
_SUMMARY_EN = ('Label "{label}" = {meaning:lang}; producer {producer:parts:provenance.label.party.}, ProduceID '
               "{produce_id:short:60}{propagation:parts:provenance.label.propagation.}")
_SUMMARY_ZH = ('Label "{label}" = {meaning:lang}；生成服务提供者 {producer:parts:provenance.label.party.}，'
               "内容制作编号 "
               "{produce_id:short:60}{propagation:parts:provenance.label.propagation.}")
CATALOGUE.add("provenance.label.summary", _SUMMARY_EN, _SUMMARY_ZH)
CATALOGUE.define("provenance.label.content.", {
    "summary": (". Label content: " + _SUMMARY_EN, "。标识内容：" + _SUMMARY_ZH),
})
# a rule a label breaks (``details.problems[]``: ``problem`` names the sentence, with its parameters)
CATALOGUE.define("provenance.label.problem.", {
    "code_format": ("{field} {value}: format code '{format}' is not '00'",
                    "{field} {value}：格式码 '{format}' 不是 '00'"),
    "uscc_checksum": ("{field} {value}: USCC {uscc} fails the GB 32100 check character",
                      "{field} {value}：统一社会信用代码 {uscc} 校验位错误（GB 32100）"),
    "service_type": ("{field} {value}: service type '{service}' is neither 1 (generation) nor 2 (propagation)",
                     "{field} {value}：服务类型 '{service}' 既非 1（生成）也非 2（传播）"),
    "service_role": ("{field} {value}: service type {service} does not match the "
                     "{role:msg:provenance.label.role.} role (expected {expected})",
                     "{field} {value}：服务类型 {service} 与{role:msg:provenance.label.role.}角色不符"
                     "（应为 {expected}）"),
    "namespace_prefix_only": ("TC260:AIGC found by prefix only, without the namespace {namespace}",
                              "TC260:AIGC 仅凭前缀找到，未声明命名空间 {namespace}"),
    "namespace_wrong": ("AIGC property in the non-standard namespace {namespace}",
                        "AIGC 属性使用了非标准命名空间 {namespace}"),
    "bad_label": ('Label {label} is not the string "1", "2" or "3"', 'Label {label} 不是字符串 "1"、"2" 或 "3"'),
    "empty": ("{name} is missing or empty", "{name} 缺失或为空"),
    "unknown_fields": ("unknown fields {fields:list}", "未知字段 {fields:list}"),
    "not_string": ("{name} is not a string ({type})", "{name} 不是字符串（{type}）"),
    "charset": ("{name} holds characters outside the Annex E set: {chars}",
                "{name} 含有附录 E 字符集之外的字符：{chars}"),
    "half_filled_propagation": ("{filled} is set but {empty} is empty", "{filled} 已填写但 {empty} 为空"),
    "not_json": ("the value is not JSON: {raw}", "标识值不是 JSON：{raw}"),
    "not_object": ("the value is not a JSON object: {raw}", "标识值不是 JSON 对象：{raw}"),
    "too_deep": ("the value is nested too deep (built to break parsers): {raw}",
                 "标识值嵌套过深（为使解析器出错而构造）：{raw}"),
    "duplicate": ("{count} labels in one file ({sources:list}); §6.1 c) allows only one",
                  "同一文件中有 {count} 份隐式标识（{sources:list}），GB 45438 第 6.1 c) 条只允许一份"),
    "disagree": ("the labels in this file disagree with each other", "文件中的多份标识内容互相矛盾"),
})
CATALOGUE.add("provenance.label.problem_at", "{problem:parts:provenance.label.problem.} [{source}]",
              "{problem:parts:provenance.label.problem.}［{source}］")
# a remnant of a removed label (``details.remnant_parts``)
CATALOGUE.define("provenance.label.remnant.", {
    "empty_property": ("empty TC260:AIGC property in the XMP packet ({source})",
                       "XMP 包中 TC260:AIGC 属性为空（{source}）"),
    "namespace_only": ("TC260 namespace declared without an AIGC label ({source})",
                       "声明了 TC260 命名空间但没有 AIGC 标识（{source}）"),
    "writer_fingerprint": ("ByteDance XMP writer fingerprint '{fingerprint}' without an AIGC label ({source})",
                           "字节跳动 XMP 写入器特征 '{fingerprint}'，但没有 AIGC 标识（{source}）"),
    "empty_chunk": ("empty {source} chunk", "空的 {source} 文本块"),
})
_code("provenance.aigc_label", {
    "label": ("GB 45438 implicit AI label in {source} ({form}): {summary:parts:provenance.label.}",
              "GB 45438 隐式 AI 标识（{source}，{form:msg:provenance.label.form.}）："
              "{summary:parts:provenance.label.}"),
})
_code("provenance.aigc_label.invalid", {
    "problems": ("GB 45438 implicit label in {source} is malformed or forged: "
                 "{problems:each:provenance.label.problem_at}{content:parts:provenance.label.content.}",
                 "GB 45438 隐式标识（{source}）格式错误或被伪造：{problems:each:provenance.label.problem_at}"
                 "{content:parts:provenance.label.content.}"),
})
_code("provenance.remnant", {
    "c2pa_stripped": ("XMP dcterms:provenance points to an embedded C2PA manifest ({dcterms_provenance[0]:short:80}) "
                      "but the file has no JUMBF manifest store: the manifest was stripped",
                      "XMP dcterms:provenance 指向内嵌 C2PA 清单（{dcterms_provenance[0]:short:80}），"
                      "但文件中没有 JUMBF 清单：清单已被删除"),
    "label_remnants": ("Remnants of a removed GB 45438 AI label: {remnant_parts:parts:provenance.label.remnant.}",
                       "残留的已删除 GB 45438 AI 隐式标识：{remnant_parts:parts:provenance.label.remnant.}"),
})

# --------------------------------------------------------------------------------- IPTC, generators, other
CATALOGUE.add("provenance.iptc.evidence", "{field} = {value:short:80} ({source})",
              "{field} = {value:short:80}（{source}）")
_code("provenance.iptc.ai_source", {
    "declared": ("IPTC metadata declares AI generation: {evidence:each:provenance.iptc.evidence}",
                 "IPTC 元数据声明内容由 AI 生成：{evidence:each:provenance.iptc.evidence}"),
})
CATALOGUE.add("provenance.generator.evidence", "{field} = {value:short:70}", "{field} = {value:short:70}")
_code("provenance.generator_metadata", {
    "traces": ("AI generator metadata ({generators:list}): {evidence:each:provenance.generator.evidence}",
               "AI 生成工具元数据（{generators:list}）：{evidence:each:provenance.generator.evidence}"),
})
_code("provenance.hostile_metadata", {
    "nested": ("The XMP metadata in {sources:list} is nested {depth} levels deep (real metadata nests fewer than 10): "
               "it is built to make analysis tools fail. It was read down to {read_to} levels.",
               "{sources:list} 中的 XMP 元数据嵌套了 {depth} 层（正常元数据少于 10 层）："
               "这是为了让分析工具出错而构造的。已读取前 {read_to} 层。"),
})
CATALOGUE.add("provenance.conflict.tag", "{tag}={value}", "{tag}={value}")
_code("provenance.conflict", {
    "camera": ("Camera EXIF ({camera_shown:each:provenance.conflict.tag}) sits beside an AI declaration "
               "({ai_codes:codes}): an AI-edited camera photo, or camera data copied onto a generated image",
               "相机 EXIF（{camera_shown:each:provenance.conflict.tag}）与 AI 声明（{ai_codes:codes}）同时存在："
               "要么是经 AI 编辑的相机照片，要么是把相机数据复制到了生成图片上"),
    "capture": ("A valid C2PA capture manifest ({source_type:or:provenance.c2pa.no_source_type}) contradicts an AI "
                "declaration in the same file ({ai_codes:codes})",
                "有效的 C2PA 拍摄清单（{source_type:or:provenance.c2pa.no_source_type}）与同一文件中的 AI 声明"
                "（{ai_codes:codes}）相互矛盾"),
})
