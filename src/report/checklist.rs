//! The items of the go-live self-check sheet (セルフチェックシート) this harness proves, in the
//! sheet's order. A scenario proves an item by carrying the tag `@check:<id>`.

use super::model::Lang;

pub struct Item {
    pub id: &'static str,
    pub title_ja: &'static str,
    pub title_en: &'static str,
    pub description_ja: &'static str,
    pub description_en: &'static str,
}

impl Item {
    pub fn title(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Ja => self.title_ja,
            Lang::En => self.title_en,
        }
    }

    pub fn description(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Ja => self.description_ja,
            Lang::En => self.description_en,
        }
    }
}

macro_rules! items {
    ($( $id:literal, $tja:literal, $ten:literal, $dja:literal, $den:literal; )*) => {
        &[ $( Item { id: $id, title_ja: $tja, title_en: $ten, description_ja: $dja, description_en: $den }, )* ]
    };
}

pub const ITEMS: &[Item] = items![
    "A-1", "一般的な決済フロー (Authorize)", "Standard checkout (Authorize)",
        "ボタン → サインイン → レビュー画面 (取得) → 最終金額で更新 → amazonPayRedirectUrl → 完了 → チャージ Authorized → 売上請求 → Captured",
        "Button → sign-in → review (Get) → Update with the final amount → amazonPayRedirectUrl → Complete → Charge Authorized → capture → Captured";
    "A-2", "オーソリと同時に売上請求 (AuthorizeWithCapture)", "AuthorizeWithCapture",
        "完了時に Captured のチャージが作成される", "Complete gives a Captured charge";
    "A-3", "支払い権限の確認のみ (Confirm)", "Confirm",
        "完了時にチャージは作成されず Chargeable のチャージパーミッションができ、後のチャージ作成でオーソリされる",
        "Complete gives a Chargeable permission and no charge; a later Create Charge authorizes";
    "A-4", "レビュー画面の表示内容", "Review page data",
        "購入者情報、お届け先住所 (PayAndShip のみ)、支払い方法の表示名。PayOnly には住所がない",
        "Buyer, shippingAddress (PayAndShip only), paymentPreferences[].paymentDescriptor; PayOnly has no address";
    "A-5", "お届け先・支払い方法の変更", "Change address / payment",
        "変更後、同じチェックアウトセッション ID でレビュー画面に戻り、新しい選択が反映される",
        "Returns to the review URL with the same session id and the new choice";
    "A-6", "完了時の金額不一致と二重完了", "Amount mismatch and double Complete",
        "更新時と異なる金額での完了は 409 AmountMismatch、2 回目の完了は InvalidCheckoutSessionStatus",
        "Complete with another amount → 409 AmountMismatch; a second Complete → InvalidCheckoutSessionStatus";
    "B-1", "複数オーソリ", "Multiple authorizations",
        "chargeAmount < totalOrderAmount、残額まで追加のチャージを作成し、全額売上請求でチャージパーミッションがクローズされる",
        "chargeAmount < totalOrderAmount, further charges up to the total, the permission closes once all is captured";
    "B-2", "チャージ作成の上限 (25 回)", "Charge count limit (25)",
        "ワンタイムのチャージパーミッションで 26 回目のチャージ作成は拒否される",
        "The 26th charge on a OneTime permission is refused";
    "C-1", "ダイナミックオーソリ (承認)", "Dynamic authorization (approved)",
        "…0701 と canHandlePendingAuthorization: 完了は 202、AuthorizationInitiated、30 秒後に Authorized",
        "…0701 with canHandlePendingAuthorization: Complete 202, AuthorizationInitiated, Authorized 30 s later";
    "C-2", "ダイナミックオーソリ (拒否)", "Dynamic authorization (declined)",
        "…4354: AuthorizationInitiated の後 Declined/HardDeclined", "…4354: AuthorizationInitiated, then Declined/HardDeclined";
    "C-3", "保留オーソリ非対応時のエラー", "Pending authorization not handled",
        "canHandlePendingAuthorization なしで保留オーソリのカード → 所定のエラー",
        "A pending-authorization card without canHandlePendingAuthorization → the documented error";
    "D-1", "今すぐ支払う (APB) PayAndShip", "Amazon Pay Button (APB) PayAndShip",
        "出品者指定の住所と金額がホスト画面に表示され、今すぐ支払うで結果 URL に戻り、完了できる",
        "Merchant addressDetails and amount on the hosted page, 今すぐ支払う, result URL, Complete";
    "D-2", "今すぐ支払う (APB) PayOnly", "Amazon Pay Button (APB) PayOnly",
        "住所なしで今すぐ支払う、結果 URL、完了", "今すぐ支払う without an address, result URL, Complete";
    "E-1", "定期購入: 初回", "Recurring: first charge",
        "ホスト画面に支払い頻度が表示され、初回のチャージがチェックアウト時に行われる",
        "Frequency on the hosted page, first charge at checkout";
    "E-2", "定期購入: 2 回目以降", "Recurring: later charge",
        "チャージパーミッションに対する後日のチャージ作成", "A later Create Charge on the permission";
    "E-3", "定期購入: 月額上限", "Recurring: monthly limit",
        "月 ¥100,000 を超えると PeriodicAmountExceeded、翌月に残高が戻る",
        "Monthly ¥100,000 limit → PeriodicAmountExceeded; the balance resets next month";
    "E-4", "定期購入: 停止・退会", "Recurring: pause / withdraw",
        "チャージパーミッションのクローズで Closed/MerchantClosed、以後のチャージは失敗する",
        "Close Charge Permission → Closed/MerchantClosed; charging it afterwards fails";
    "F-1", "支払い方法の保存 (setupOnly)", "Payment method on file (setup only)",
        "setupOnly で Chargeable、チャージなし。後日、出品者起点のチャージ",
        "setupOnly: Chargeable, no charge; later merchant-initiated charge";
    "F-2", "支払い方法の保存 (チェックアウトと同時)", "Payment method on file with checkout",
        "チェックアウトと同時に支払い方法を保存し、後日もチャージできる", "Saved during checkout, charged again later";
    "F-3", "支払い方法の保存 (今すぐ支払う)", "Payment method on file with APB",
        "今すぐ支払うで支払い方法を保存する", "Saved through 今すぐ支払う";
    "G-1", "注文取消 (オーソリの取消)", "Order cancellation",
        "オーソリ済みのチャージの取消で Canceled/MerchantCanceled", "Cancel Charge on an authorized charge → Canceled/MerchantCanceled";
    "G-2", "クローズ時の保留チャージ取消", "Close with cancelPendingCharges",
        "cancelPendingCharges 付きのクローズで未処理のチャージが取り消される",
        "Close Charge Permission with cancelPendingCharges cancels open charges";
    "G-3", "売上請求済みの取消", "Cancel a captured charge",
        "売上請求済みのチャージの取消は 422 InvalidChargeStatus", "Cancel a captured charge → 422 InvalidChargeStatus";
    "G-4", "購入者によるキャンセル", "Buyer cancels",
        "ホスト画面でのキャンセル (…3064 またはキャンセルリンク) で Canceled/BuyerCanceled",
        "Buyer cancels on the hosted page (…3064 or the cancel link) → Canceled/BuyerCanceled";
    "H-1", "全額返金", "Full refund", "RefundInitiated → Refunded", "RefundInitiated → Refunded";
    "H-2", "一部返金・複数回の返金", "Partial refunds",
        "一部返金と複数回の返金で refundedAmount が合計と一致する", "Partial and several partial refunds; refundedAmount adds up";
    "H-3", "未売上請求のチャージへの返金", "Refund of an uncaptured charge",
        "売上請求前のチャージへの返金は 422 InvalidChargeStatus", "Refund of an uncaptured charge → 422 InvalidChargeStatus";
    "I-1", "15% / ¥8,400 の増額オーソリ上限", "15 % / ¥8,400 over-authorization",
        "注文額 + min(15%, ¥8,400) までのオーソリは成功し、1 円多いと TransactionAmountExceeded",
        "Authorization up to order + min(15 %, ¥8,400) accepted, one yen more → TransactionAmountExceeded";
    "I-2", "返金額の上限", "Refund limit",
        "返金合計は売上請求額 + min(15%, ¥8,400) まで、1 円多いと拒否", "Refunds up to captured + min(15 %, ¥8,400), one yen more refused";
    "J-1", "チェックアウト時の与信拒否", "Decline at checkout",
        "…3434: Canceled/Declined、完了は CheckoutSessionCanceled", "…3434: Canceled/Declined, Complete → CheckoutSessionCanceled";
    "J-2", "チャージ作成時の与信拒否", "Declines on Create Charge",
        "SoftDeclined、HardDeclined、AmazonRejected、ProcessingFailure、TransactionTimedOut の状態・理由とチャージパーミッションの状態",
        "SoftDeclined, HardDeclined, AmazonRejected, ProcessingFailure, TransactionTimedOut: status, reason, resulting permission state";
    "K-1", "署名付きリクエスト", "Signed requests",
        "両方の署名アルゴリズムが受け付けられ、改ざんされた署名は 403 InvalidRequestSignature",
        "Both algorithms accepted; a tampered signature → 403 InvalidRequestSignature";
    "K-2", "冪等性", "Idempotency",
        "同じキーの再送は同じオブジェクト、本文を変えると DuplicateIdempotencyKey",
        "Replay returns the same object; changed body → DuplicateIdempotencyKey";
    "K-3", "不正な入力", "Bad input",
        "円の小数、未知の項目、不正な JSON、存在しない ID、¥10,000,000 超: 所定のステータスと理由",
        "JPY decimals, unknown field, malformed JSON, unknown id, over ¥10,000,000: documented status and reason";
    "L-1", "時間経過 (エミュレーターのみ)", "Time (emulator only)",
        "セッションは 24 時間で Expired、オーソリは 30 日で ExpiredUnused、ワンタイムのチャージパーミッションは 180 日 (延長で 13 か月) で Expired、7 日後の売上請求は非同期",
        "Session Expired after 24 h; authorization ExpiredUnused after 30 days; OneTime permission Expired after 180 days, 13 months with extendExpiration; capture after 7 days is asynchronous";
];

pub fn item(id: &str) -> Option<&'static Item> {
    ITEMS.iter().find(|i| i.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_ids_are_unique_and_in_sheet_order() {
        let ids: Vec<&str> = ITEMS.iter().map(|i| i.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_by_key(|id| {
            let (letter, n) = id.split_once('-').unwrap();
            (letter.to_owned(), n.parse::<u32>().unwrap())
        });
        sorted.dedup();
        assert_eq!(ids, sorted);
        assert_eq!(ITEMS.len(), 35);
        assert_eq!(item("I-1").unwrap().title(Lang::En), "15 % / ¥8,400 over-authorization");
    }
}
