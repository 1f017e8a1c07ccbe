import { useSyncExternalStore } from 'react';

// Single-key shortcuts can be switched off (WCAG 2.1.4): a preference kept in this browser.
const KEY = 'claimdesk:shortcuts';
const listeners = new Set<() => void>();

function read(): boolean {
  try {
    return localStorage.getItem(KEY) !== 'off';
  } catch {
    return true;
  }
}

export function setShortcutsEnabled(on: boolean): void {
  try {
    localStorage.setItem(KEY, on ? 'on' : 'off');
  } catch {
    // Private mode without storage: the choice lasts until reload.
  }
  for (const l of listeners) l();
}

export function useShortcutsEnabled(): boolean {
  return useSyncExternalStore(
    (cb) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    read,
    () => true,
  );
}
