// The columns `kubectl get` prints for a kind (additionalPrinterColumns). Every kcloud kind shows
// its Ready condition and phase the same way, so users read any product's list at a glance.

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  format?: string;
  /** 0 shows the column in `kubectl get`; higher only with `-o wide`. */
  priority?: number;
}

export function readyColumn(): PrinterColumn {
  return {
    name: 'Ready',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Ready")].status',
    description: 'Whether the Ready condition is True, False or Unknown.',
  };
}

export function phaseColumn(): PrinterColumn {
  return {
    name: 'Phase',
    type: 'string',
    jsonPath: '.status.phase',
    description: 'One-word summary of where the object is in its lifecycle.',
  };
}

/** Added last to every kind: a CRD with its own columns loses kubectl's default Age column. */
export function ageColumn(): PrinterColumn {
  return {
    name: 'Age',
    type: 'date',
    jsonPath: '.metadata.creationTimestamp',
    description: 'Time since the object was created.',
  };
}
