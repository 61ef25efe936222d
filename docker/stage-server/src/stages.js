// In-memory stage store and input validation.

import { randomUUID } from 'node:crypto';

const ALLOWED_FIELDS = new Set(['name', 'description', 'capacity']);

/** Returns { value } for a valid new stage, or { errors: [...] }. */
export function validateStage(input) {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { errors: ['body must be a JSON object'] };
  }
  const errors = [];
  for (const key of Object.keys(input)) {
    if (!ALLOWED_FIELDS.has(key)) errors.push(`unknown field: ${key.slice(0, 64)}`);
  }

  const name = typeof input.name === 'string' ? input.name.trim() : undefined;
  if (name === undefined) errors.push('name is required and must be a string');
  else if (name.length < 1 || name.length > 100) errors.push('name must be 1 to 100 characters');

  let description;
  if (input.description !== undefined) {
    if (typeof input.description !== 'string') errors.push('description must be a string');
    else if (input.description.length > 500) errors.push('description must be at most 500 characters');
    else description = input.description;
  }

  let capacity;
  if (input.capacity !== undefined) {
    if (!Number.isInteger(input.capacity) || input.capacity < 1 || input.capacity > 10_000) {
      errors.push('capacity must be an integer from 1 to 10000');
    } else {
      capacity = input.capacity;
    }
  }

  if (errors.length) return { errors };
  const value = { name };
  if (description !== undefined) value.description = description;
  if (capacity !== undefined) value.capacity = capacity;
  return { value };
}

export function createStageStore({ maxStages = 1000 } = {}) {
  const stages = new Map();
  return {
    list: () => [...stages.values()],
    get: (id) => stages.get(id),
    isFull: () => stages.size >= maxStages,
    add(fields) {
      const stage = { id: randomUUID(), ...fields, createdAt: new Date().toISOString() };
      stages.set(stage.id, stage);
      return stage;
    },
  };
}
