import { useEffect, useRef } from 'react';
import { useShortcutsEnabled } from './prefs.ts';

export type KeyMap = Record<string, (e: KeyboardEvent) => void>;

function typingInto(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  if (target.isContentEditable) return true;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = (target as HTMLInputElement).type;
    return !['checkbox', 'radio', 'button', 'submit'].includes(type);
  }
  return false;
}

/**
 * Single-key shortcuts for a page. Ignored while typing in a field, with a modifier held, while a dialog is
 * open, or when the person switched shortcuts off. Keys: the `key` value ('j', 'Enter', '?', '/').
 */
export function useShortcuts(map: KeyMap, active = true): void {
  const enabled = useShortcutsEnabled();
  const ref = useRef(map);
  useEffect(() => {
    ref.current = map;
  });
  useEffect(() => {
    if (!enabled || !active) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      if (typingInto(e.target)) return;
      if (document.querySelector('dialog[open]')) return;
      // Enter on a link or button keeps its own meaning.
      if (e.key === 'Enter' && e.target instanceof HTMLElement && e.target.closest('a,button')) return;
      const handler = ref.current[e.key];
      if (!handler) return;
      e.preventDefault();
      handler(e);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled, active]);
}
