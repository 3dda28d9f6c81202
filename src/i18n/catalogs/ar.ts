/** العربية (right to left). */
import type { MessageKey } from "./en.ts";

export const ar: Record<MessageKey, string> = {
  "language.switcher": "اللغة",

  "error.notFound.title": "الصفحة غير موجودة",
  "error.notFound.message": "لا توجد صفحة على هذا العنوان.",
  "error.notFound.link": "عرض كل الإعلانات",
  "error.server.title": "حدث خطأ ما",
  "error.server.message": "تعذّر على الخادم إتمام هذا الطلب. سُجّلت المشكلة؛ يُرجى المحاولة مرة أخرى بعد قليل.",
  "error.unavailable.title": "لا يمكن الحفظ الآن",
  "error.unavailable.message": "لا يستطيع الموقع حفظ أي شيء في الوقت الحالي. لم يُسجَّل شيء؛ يُرجى المحاولة بعد بضع دقائق.",
  "error.diskFull": "لا يستطيع هذا الموقع حفظ أي شيء الآن: قرصه ممتلئ. لم يُسجَّل شيء؛ يُرجى المحاولة بعد بضع دقائق.",
  "error.back": "العودة إلى الإعلانات",

  "banner.join": "انضمّ إلى الإضراب",
  "banner.hide": "إخفاء لافتة الإضراب",
  "banner.today": "نحن اليوم في إضراب عن وسائل التواصل الاجتماعي الكبرى.",
  "banner.explain":
    "في {dates} لا ننشر شيئًا على المنصات الكبرى سوى إشعارات تحمل {tags}. وقّع الإعلان، وتعهّد بالإضراب، وجرّب شبكة مفتوحة.",
  "banner.why": "لماذا نُضرب، وكيف تنضمّ إلينا",
  "banner.continue": "المتابعة إلى هذا الموقع",

  "signatures.count":
    "{count, plural, zero {لا توقيعات} one {توقيع واحد} two {توقيعان} few {# توقيعات} many {# توقيعًا} other {# توقيع}}",

  "translations.heading": "الترجمات",
  "translations.pageTitle": "ترجمات «{title}»",
  "translations.none": "لا توجد ترجمات بعد.",
  "translations.original": "الأصل",
  "translations.familyTotal":
    "{count, plural, zero {لا توقيعات} one {توقيع واحد} two {توقيعان} few {# توقيعات} many {# توقيعًا} other {# توقيع}} بكل اللغات، ويُحتسب كل توقيع على كل نص مرة واحدة:",
  "translations.add": "ترجمة هذا الإعلان",
  "translations.all": "كل الترجمات",
  "translations.of": "ترجمة إلى {language} لـ«{title}»، النسخة {revision}.",
  "translations.readOriginal": "قراءة الأصل",
  "translations.outOfDate": "غير محدّثة: تغيّر الأصل منذ النسخة {revision}، وهو الآن في النسخة {latest}.",
  "translations.whatChanged": "عرض ما تغيّر في الأصل",
  "translations.upToDate": "محدّثة وفق أحدث نسخة من الأصل.",
  "translations.draft": "مسودة",
  "translations.edit": "تحرير هذه الترجمة",
  "translations.form.heading": "ترجمة «{title}»",
  "translations.form.editHeading": "تحرير الترجمة إلى {language}",
  "translations.form.intro":
    "تقول الترجمة ما يقوله الأصل بلغة أخرى. وهي ليست نسخة معدّلة: لتغيير ما يقوله الإعلان، أنشئ نسخة منه. وتُحتسب توقيعاتها ضمن مجموع توقيعات الإعلان.",
  "translations.form.language": "اللغة",
  "translations.form.languageHint": "رمز لغة، مثل ar أو de أو pt-BR أو zh-Hant.",
  "translations.form.revision": "نسخة الأصل المترجَمة",
  "translations.form.title": "العنوان",
  "translations.form.summary": "الملخّص (اختياري)",
  "translations.form.text": "النص (Markdown)",
  "translations.form.publish": "نشر",
  "translations.form.saveDraft": "حفظ كمسودة",
  "translations.form.save": "حفظ",
  "translations.form.problems": "يُرجى تصحيح ما يلي:",
  "translations.error.language": "اللغة: أدخل رمز لغة مثل ar أو de أو pt-BR.",
  "translations.error.sameLanguage": "اللغة: الأصل مكتوب أصلًا باللغة {language}.",
  "translations.error.exists": "اللغة: توجد بالفعل ترجمة إلى {language}.",
  "translations.error.slug": "اللغة: عنوان هذه الترجمة، /d/{slug}، مستخدم بالفعل.",
  "translations.error.revision": "نسخة الأصل المترجَمة: «{value}» ليست من نسخه (من 1 إلى {latest}).",
  "translations.error.title": "العنوان: اكتب عنوانًا من 1 إلى {max} حرفًا.",
  "translations.error.text": "النص: الترجمة بلا نص.",
  "translations.error.textTooLong": "النص: {max} حرف على الأكثر.",
  "translations.error.summary": "الملخّص: {max} حرف على الأكثر.",
  "translations.error.original": "لا يمكن ترجمة إلا أصل منشور.",
  "translations.error.expired": "انتهت صلاحية هذا النموذج أو لم يُرسَل من هذا الموقع. يُرجى المحاولة مرة أخرى.",
  "translations.error.notOwner": "لا يحرّر هذه الترجمة إلا من ترجمها.",
};
