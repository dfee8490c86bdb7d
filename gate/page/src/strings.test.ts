import { expect, it } from 'vitest';
import { fmt, LANGUAGES, pickLanguage, STRINGS } from './strings.ts';

it('has English and at least one more language, each with every string filled in', () => {
  expect(LANGUAGES).toContain('en');
  expect(LANGUAGES.length).toBeGreaterThanOrEqual(2);
  const keys = Object.keys(STRINGS.en!).sort();
  for (const lang of LANGUAGES) {
    const table = STRINGS[lang]!;
    expect(Object.keys(table).sort()).toEqual(keys);
    for (const k of keys)
      expect(table[k as keyof typeof table].trim().length, `${lang}.${k}`).toBeGreaterThan(0);
    // Placeholders must match the English ones, or a translation would print "{n}".
    for (const k of keys) {
      const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
      expect(ph(table[k as keyof typeof table]), `${lang}.${k}`).toEqual(
        ph(STRINGS.en![k as keyof typeof table]),
      );
    }
  }
});

it('picks the requested language, then the browser’s, then English', () => {
  expect(pickLanguage('de', ['en-US'])).toBe('de');
  expect(pickLanguage(null, ['fr-FR', 'de-AT'])).toBe('de');
  expect(pickLanguage('xx', ['ja'])).toBe('en');
});

it('fills placeholders and leaves unknown ones', () => {
  expect(fmt('{n} ahead, {x}', { n: 3 })).toBe('3 ahead, {x}');
});
