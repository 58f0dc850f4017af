// Reads the audit log and returns the records a view selects, oldest first.
import { auditLogFiles, auditLogLines } from './log-files.ts';
import { AuditRecords, type AuditRecord } from './records.ts';
import { selected, type ViewFilter } from './view.ts';

export interface AuditView {
  records: AuditRecord[];
  files: string[];
  /** Lines that were not audit events (a line cut short when the API server died). */
  skipped: number;
}

export async function readAuditView(logPath: string, filter: ViewFilter): Promise<AuditView> {
  const files = await auditLogFiles(logPath);
  const parser = new AuditRecords();
  const records: AuditRecord[] = [];
  for await (const line of auditLogLines(files)) {
    const r = parser.parse(line);
    if (r !== undefined && selected(r, filter)) records.push(r);
  }
  return { records, files, skipped: parser.skipped };
}
