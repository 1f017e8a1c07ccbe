import { useQuery } from '@tanstack/react-query';
import { ApiError, api } from './api.ts';
import type { Session } from './types.ts';

export const sessionKey = ['session'] as const;

/** The signed-in person, or null. A 401 is an answer here ("not signed in"), not an error. */
export function useSession() {
  return useQuery({
    queryKey: sessionKey,
    queryFn: async (): Promise<Session | null> => {
      try {
        return await api<Session>('/api/session');
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
    staleTime: 60_000,
    retry: false,
  });
}

export function homeFor(role: string): string {
  if (role === 'fact_checker') return '/queue';
  if (role === 'editor') return '/approvals';
  return '/admin';
}
