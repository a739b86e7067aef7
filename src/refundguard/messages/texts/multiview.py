"""Sentences of the multiview check: its finding, why the other photo should have shown the damage, the second-view
verifications and skips it records, and its not-applicable reasons.

Parameters come from the finding's ``details`` (:func:`refundguard.checks.multiview.run` documents them): photo
*numbers* count from 1 (``shown_number``), photo *indexes* (``shown_in``) are rendered as the photo's file name
(``{shown_in:photo}``); a region is ``[x, y, w, h]`` in its own photo's pixels.
"""

from refundguard.messages.catalogue import CATALOGUE

_SHOWN_EN = ("photo {shown_number} ({shown_in:photo}) shows damage at x={region_shown[0]}, y={region_shown[1]}, "
             "{region_shown[2]}×{region_shown[3]} px, but photo {missing_number} ({missing_in:photo}) shows none at "
             "the corresponding place, x={region_expected[0]}, y={region_expected[1]}, {region_expected[2]}×"
             "{region_expected[3]} px, although it should have shown it: {why:parts:multiview.why.}.")
_SHOWN_ZH = ("照片 {shown_number}（{shown_in:photo}）在 x={region_shown[0]}, y={region_shown[1]}, "
             "{region_shown[2]}×{region_shown[3]} 像素处有损坏，而照片 {missing_number}（{missing_in:photo}）"
             "的对应位置 x={region_expected[0]}, y={region_expected[1]}, "
             "{region_expected[2]}×{region_expected[3]} 像素处却没有，尽管它本应能拍到：{why:parts:multiview.why.}。")
_OTHER_EN = (" Photo {other_shown_number} in turn shows damage at x={other_region_shown[0]}, "
             "y={other_region_shown[1]}, {other_region_shown[2]}×{other_region_shown[3]} px that photo "
             "{other_missing_number} lacks at x={other_region_expected[0]}, y={other_region_expected[1]}, "
             "{other_region_expected[2]}×{other_region_expected[3]} px.")
_OTHER_ZH = ("反过来，照片 {other_shown_number} 在 x={other_region_shown[0]}, y={other_region_shown[1]}, "
             "{other_region_shown[2]}×{other_region_shown[3]} 像素处的损坏，在照片 {other_missing_number} 的对应位置 "
             "x={other_region_expected[0]}, y={other_region_expected[1]}, "
             "{other_region_expected[2]}×{other_region_expected[3]} 像素处也没有。")
_CLOSE_EN = " Real damage looks the same from every angle."
_CLOSE_ZH = "真实的损坏从任何角度看都应一致。"

CATALOGUE.define("multiview.inconsistent_damage:", {
    "added": ("The damage differs between two photos of the same item: " + _SHOWN_EN + _CLOSE_EN,
              "同一商品的两张照片中损坏不一致：" + _SHOWN_ZH + _CLOSE_ZH),
    "two_sided": ("The damage differs between two photos of the same item: " + _SHOWN_EN + _OTHER_EN + _CLOSE_EN,
                  "同一商品的两张照片中损坏不一致：" + _SHOWN_ZH + _OTHER_ZH + _CLOSE_ZH),
    "replaced": ("The damage differs between two photos of the same item: " + _SHOWN_EN
                 + " The two photos show different content at that place, which a reflection or something in front "
                   "of the item can also cause; a person should compare them." + _CLOSE_EN,
                 "同一商品的两张照片中损坏不一致：" + _SHOWN_ZH
                 + "两张照片在该处显示的内容不同，反光或物品前方的遮挡也可能造成这种情况，需人工比对。" + _CLOSE_ZH),
})

# why the photo that lacks the damage should have shown it (the finding's ``why``: a list of these parts)
CATALOGUE.define("multiview.why.", {
    "resolution": ("photo {missing_number} sees that place with {resolution:.2f} of a pixel for each pixel of photo "
                   "{shown_number}",
                   "该处在照片 {missing_number} 中的分辨率为照片 {shown_number} 的 {resolution:.2f} 倍"),
    "sharpness": ("its fine detail there is {sharpness:.2f} of photo {shown_number}'s",
                  "细节清晰度为照片 {shown_number} 的 {sharpness:.2f} 倍"),
    "exposure": ("it is neither blown out nor in shadow there", "该处既未过曝也不在阴影中"),
    "surround": ("the surface around it matches in both photos ({matched_points} matched points)",
                 "周围表面在两张照片中一致（{matched_points} 个匹配点）"),
    "surround_texture": ("the surface around it matches in both photos ({matched_points} matched points, texture "
                         "correlation {ring_agreement:.2f})",
                         "周围表面在两张照片中一致（{matched_points} 个匹配点，纹理相关 {ring_agreement:.2f}）"),
})

CATALOGUE.define("multiview.verified.", {
    "second_view": ("{first:photo} and {second:photo} show the same item and were compared as two views of it where "
                    "both see it ({matched_points} matched points, {share:pct0} of a photo compared)",
                    "{first:photo} 与 {second:photo} 为同一商品，已作为两个角度在两者共同可见处比对"
                    "（{matched_points} 个匹配点，比对面积 {share:pct0}）"),
})

CATALOGUE.define("multiview.skip.", {
    "beyond_max_views": ("only the first {max_views} claim photos are compared with each other",
                         "仅比对前 {max_views} 张凭证图片"),
    "little_shared": ("{image:photo} shares too little visible surface with the other claim photos to compare the "
                      "damage (less than {min_shared:pct0} of a photo)",
                      "{image:photo} 与其他凭证图片共同可见的表面太少（不足 {min_shared:pct0}），无法比对损坏"),
    "unmatched": ("{image:photo} shares no reliably matched surface with the other claim photos",
                  "{image:photo} 与其他凭证图片没有可靠匹配的共同表面"),
})

CATALOGUE.define("multiview.na.", {
    "single_photo": ("fewer than two claim photos: there is no second view to compare the damage with",
                     "凭证图片少于两张：没有第二个角度可用来比对损坏"),
    "not_same_object": ("the claim photos do not show the same object: no two of them have a reliable geometric match "
                        "(at least {min_inliers} matches consistent with one rigid scene)",
                        "凭证图片并非同一物品：任意两张之间都没有可靠的几何匹配"
                        "（至少需要 {min_inliers} 个与同一刚性场景一致的匹配点）"),
})
