"""Sentences of the capture service (the buyer's live capture session): what each shot is, and the errors a
frame or an incomplete session gets. Stored data keep the shot kind (``whole``, ``close``, ``turned``, ``video``)
and the parameters; these sentences are made when an answer is written."""

from refundguard.messages.catalogue import CATALOGUE

CATALOGUE.define("capture.kind.", {
    "whole": ("shot (a), the whole item with the code", "拍摄（a）：整件商品与验证码"),
    "close": ("shot (b), the damage close up", "拍摄（b）：损坏处近景"),
    "turned": ("shot (c), the damage turned", "拍摄（c）：换角度拍摄损坏处"),
    "video": ("the video orbit", "环绕视频"),
    "turned_or_video": ("shot (c), the damage turned (or the video orbit)",
                        "拍摄（c）：换角度拍摄损坏处（或环绕视频）"),
})
CATALOGUE.define("capture.error.", {
    "not_video": ("{kind:msg:capture.kind.}: not a video ({what})", "{kind:msg:capture.kind.}：不是视频（{what}）"),
    "not_photo": ("{kind:msg:capture.kind.}: not a photo the capture page takes ({what})",
                  "{kind:msg:capture.kind.}：不是拍摄页面生成的照片（{what}）"),
    "unusable_photo": ("{kind:msg:capture.kind.}: the photo cannot be used ({problem})",
                       "{kind:msg:capture.kind.}：照片无法使用（{problem}）"),
    "shots_missing": ("the capture is not complete: {missing:msg:capture.kind.} missing",
                      "现场拍摄尚未完成：缺少{missing:msg:capture.kind.}"),
})
