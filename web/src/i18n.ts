/** Strings of the app in English and Simplified Chinese, and Intl formatting in the chosen locale. */
import { createContext, useContext } from 'react';
import en from './i18n/en.json';
import zh from './i18n/zh.json';

export type Locale = 'en' | 'zh-CN';
export type Key = keyof typeof en;
const STRINGS: Record<Locale, Record<Key, string>> = { en, 'zh-CN': zh };

export interface I18n {
  locale: Locale;
  t(key: Key, vars?: Record<string, string | number>): string;
  num(v: number): string;
  date(iso: string): string;
}

export function makeI18n(locale: Locale): I18n {
  const nf = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
  const df = new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'medium' });
  return {
    locale,
    t: (key, vars) => STRINGS[locale][key].replace(/\{(\w+)\}/g, (_, k: string) => String(vars?.[k] ?? '')),
    num: (v) => nf.format(v),
    date: (iso) => {
      const d = new Date(iso);
      return Number.isNaN(d.getTime()) ? iso : df.format(d);
    },
  };
}

export const I18nContext = createContext<I18n>(makeI18n('en'));
export const useI18n = () => useContext(I18nContext);
