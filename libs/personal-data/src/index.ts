export * from './field-cipher';
export * from './contact-personal-data';
export * from './erasure-receipts';
export * from './sealed-fields';
