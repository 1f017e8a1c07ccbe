import { useMutation, useQueries, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useState, type ChangeEvent, type FormEvent } from 'react';
import { api } from '../api.ts';
import { Checks, ErrorNote, FieldError, FormError, Highlighted } from '../components.tsx';
import { label } from '../format.ts';
import type { Article, Claim, ExtractedClaim, Page } from '../types.ts';

const FIELDS = ['title', 'body', 'url', 'publisher'];

export function IngestPage() {
  const [title, setTitle] = useState('');
  const [url, setUrl] = useState('');
  const [publisher, setPublisher] = useState('');
  const [body, setBody] = useState('');
  const [previewed, setPreviewed] = useState<{ body: string; claims: ExtractedClaim[] } | null>(null);

  const preview = useMutation({
    mutationFn: () => api<{ claims: ExtractedClaim[] }>('/api/articles/preview', { method: 'POST', body: { title: title.trim() || undefined, body } }),
    onSuccess: (r) => setPreviewed({ body, claims: r.claims }),
  });
  const submit = useMutation({
    mutationFn: () =>
      api<{ article: { id: string }; workflowId: string; created?: boolean }>('/api/articles', {
        method: 'POST',
        body: { title: title.trim(), body, ...(url.trim() ? { url: url.trim() } : {}), ...(publisher.trim() ? { publisher: publisher.trim() } : {}) },
      }),
  });

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (!file) return;
    setBody(await file.text());
    if (!title.trim()) setTitle(file.name.replace(/\.[^.]+$/, ''));
    setPreviewed(null);
  };
  const onPreview = (e: FormEvent) => {
    e.preventDefault();
    preview.mutate();
  };
  // Possible duplicates before anything is saved: earlier claims containing the same words.
  const similar = useQueries({
    queries: (previewed?.claims ?? []).map((c) => {
      const q = c.text.replace(/\s+/g, ' ').trim().slice(0, 80);
      return { queryKey: ['similar-claims', q], queryFn: () => api<Page<Claim>>(`/api/claims?limit=3&q=${encodeURIComponent(q)}`), staleTime: 60_000 };
    }),
  });
  // After submitting: whether extraction finished, or failed and why (a hostile article can pass its deadline).
  const submittedId = submit.data?.article.id ?? null;
  const extraction = useQuery({
    queryKey: ['article-status', submittedId],
    queryFn: () => api<{ article: Article }>(`/api/articles/${submittedId}`),
    enabled: submittedId !== null,
    refetchInterval: (q) => (q.state.data?.article.status === 'pending' ? 2000 : false),
  });
  const err = submit.error ?? preview.error;
  const stale = previewed !== null && previewed.body !== body;

  return (
    <main className="page" id="main">
      <h1>Ingest an article</h1>
      <div className="ingest">
        <form onSubmit={onPreview} className="ingest-form">
          <div className="field">
            <label htmlFor="in-title">Title</label>
            <input id="in-title" value={title} onChange={(e) => setTitle(e.target.value)} aria-describedby="in-title-error" />
            <FieldError error={err} field="title" id="in-title-error" />
          </div>
          <div className="row2">
            <div className="field">
              <label htmlFor="in-url">URL (optional)</label>
              <input id="in-url" type="url" value={url} onChange={(e) => setUrl(e.target.value)} aria-describedby="in-url-error" />
              <FieldError error={err} field="url" id="in-url-error" />
            </div>
            <div className="field">
              <label htmlFor="in-publisher">Publisher (optional)</label>
              <input id="in-publisher" value={publisher} onChange={(e) => setPublisher(e.target.value)} />
            </div>
          </div>
          <div className="field">
            <label htmlFor="in-body">Article text</label>
            <textarea
              id="in-body"
              rows={14}
              value={body}
              onChange={(e) => {
                setBody(e.target.value);
              }}
              aria-describedby="in-body-error"
            />
            <FieldError error={err} field="body" id="in-body-error" />
          </div>
          <div className="field">
            <label htmlFor="in-file">Or upload a text file</label>
            <input id="in-file" type="file" accept=".txt,.md,text/plain,text/markdown" onChange={(e) => void onFile(e)} />
          </div>
          <FormError error={err} fields={FIELDS} />
          <div className="button-row">
            <button type="submit" disabled={!body.trim() || preview.isPending}>
              {preview.isPending ? 'Finding claims…' : 'Preview claims'}
            </button>
            <button type="button" className="primary" disabled={!previewed || stale || !title.trim() || submit.isPending} onClick={() => submit.mutate()}>
              {submit.isPending ? 'Submitting…' : 'Submit article'}
            </button>
          </div>
          {submit.data ? (
            <p className="success" role="status">
              {submit.data.created === false ? 'This article was already submitted' : 'Submitted'}: article {submit.data.article.id}. Its claims reach the review queue once research finishes.
            </p>
          ) : null}
          {extraction.data?.article.status === 'failed' ? (
            <p className="error" role="alert">
              Claim extraction failed for article {extraction.data.article.id}: {extraction.data.article.failureReason ?? 'no reason recorded'}
            </p>
          ) : null}
        </form>
        <section className="pane" aria-labelledby="preview-title">
          <h2 id="preview-title">Claims found{previewed ? ` (${previewed.claims.length})` : ''}</h2>
          {!previewed ? <p className="muted">Preview shows the check-worthy claims highlighted. Nothing is saved until you submit.</p> : null}
          {stale ? <p className="muted">The text changed since the preview: preview again before submitting.</p> : null}
          {previewed ? (
            <>
              <Highlighted body={previewed.body} marks={previewed.claims.map((c) => ({ start: c.start, end: c.end, current: true }))} />
              <ol className="found">
                {previewed.claims.map((c, i) => (
                  <li key={`${c.start}-${i}`}>
                    <p>{c.text}</p>
                    <p className="muted small-text">
                      {label(c.kind)} · check-worthiness {Math.round(c.score * 100)} / 100{c.claimant ? ` · claimed by ${c.claimant}` : ''}
                    </p>
                    <Checks checks={c.checks} quantities={c.quantities} />
                    {similar[i]?.data?.items.length ? (
                      <p className="note">
                        Possibly already in claimdesk:{' '}
                        {similar[i]?.data?.items.map((d) => (
                          <Link key={d.id} to={`/workspace/${d.id}`} className="dup">
                            {d.text.slice(0, 90)}
                            {d.text.length > 90 ? '…' : ''} ({label(d.status)})
                          </Link>
                        ))}
                      </p>
                    ) : null}
                  </li>
                ))}
              </ol>
            </>
          ) : null}
          <ErrorNote error={null} />
        </section>
      </div>
    </main>
  );
}
