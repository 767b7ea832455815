/** One Markdown table of the report, with the text that explains it. */
export interface Table {
  title: string
  /** Paragraphs printed above the table. */
  description: string[]
  columns: string[]
  rows: string[][]
  /** Lines printed below the table. */
  notes?: string[]
}

/** A target of issue 5 and whether one measurement meets it. */
export interface TargetResult {
  target: string
  scenario: string
  /** What was measured: a contender, or a part of tokenflight. */
  subject: string
  met: boolean
  measured: string
}

/** What a scenario contributes to the report. */
export interface ScenarioReport {
  tables: Table[]
  targets: TargetResult[]
}

export function renderTable(table: Table): string {
  const escapeCell = (cell: string) => cell.replaceAll('|', '\\|')
  const lines = [`### ${table.title}`, '']
  for (const paragraph of table.description) lines.push(paragraph, '')
  lines.push(`| ${table.columns.map(escapeCell).join(' | ')} |`)
  lines.push(`|${table.columns.map(() => '---').join('|')}|`)
  for (const row of table.rows) lines.push(`| ${row.map(escapeCell).join(' | ')} |`)
  if (table.notes !== undefined && table.notes.length > 0) {
    lines.push('')
    for (const note of table.notes) lines.push(note)
  }
  lines.push('')
  return lines.join('\n')
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a'
  return ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`
}

export function formatRatio(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a'
}
