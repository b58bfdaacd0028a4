/** The Alma user record as the simulator stores it (camelCase; see alma-model.ts for the sources). */
// ---------------------------------------------------------------------------------------------------------
// Model

export interface CodeItem {
  value: string;
  desc?: string;
}

export interface AlmaIdentifier {
  /** id_type code, e.g. BARCODE, UNIV_ID. */
  idType: string;
  idTypeDesc?: string;
  value: string;
  note?: string;
  /** ACTIVE or INACTIVE (Alma treats a missing status as ACTIVE). */
  status?: string;
  /** "Internal" or "External" (External segments are overwritten by the next SIS load). */
  segmentType?: string;
}

export interface AlmaRoleParameter {
  /** e.g. ServiceUnit, CirculationDesk. */
  type: string;
  typeDesc?: string;
  scope?: string;
  scopeDesc?: string;
  value: string;
  valueDesc?: string;
}

export interface AlmaRole {
  status?: string;
  statusDesc?: string;
  scope?: string;
  scopeDesc?: string;
  /** role_type code, e.g. 200 (Patron), 37 (Receiving Operator). */
  roleType: string;
  roleTypeDesc?: string;
  expiryDate?: string;
  parameters: AlmaRoleParameter[];
}

export interface AlmaAddress {
  preferred?: boolean;
  segmentType?: string;
  line1?: string;
  line2?: string;
  line3?: string;
  line4?: string;
  line5?: string;
  city?: string;
  stateProvince?: string;
  postalCode?: string;
  country?: string;
  countryDesc?: string;
  addressNote?: string;
  startDate?: string;
  endDate?: string;
  addressTypes: CodeItem[];
}

export interface AlmaEmail {
  preferred?: boolean;
  segmentType?: string;
  emailAddress: string;
  description?: string;
  emailTypes: CodeItem[];
}

export interface AlmaPhone {
  preferred?: boolean;
  preferredSms?: boolean;
  segmentType?: string;
  phoneNumber: string;
  phoneTypes: CodeItem[];
}

export interface AlmaContactInfo {
  addresses: AlmaAddress[];
  emails: AlmaEmail[];
  phones: AlmaPhone[];
}

export interface AlmaBlock {
  segmentType?: string;
  blockType?: string;
  blockTypeDesc?: string;
  blockDescription?: string;
  blockDescriptionDesc?: string;
  blockStatus?: string;
  blockNote?: string;
  createdBy?: string;
  createdDate?: string;
  expiryDate?: string;
  itemLoanId?: string;
}

export interface AlmaNote {
  segmentType?: string;
  noteType: string;
  noteTypeDesc?: string;
  noteText?: string;
  userViewable?: boolean;
  popupNote?: boolean;
  createdBy?: string;
  createdDate?: string;
}

export interface AlmaStatistic {
  segmentType?: string;
  statisticCategory: string;
  statisticCategoryDesc?: string;
  categoryType?: string;
  categoryTypeDesc?: string;
  statisticNote?: string;
}

export interface AlmaProxyForUser {
  link?: string;
  primaryId?: string;
  fullName?: string;
}

export interface AlmaRsLibrary {
  code?: string;
  codeDesc?: string;
}

export interface AlmaLibraryNotice {
  code?: string;
  codeDesc?: string;
  value?: boolean;
}

/** A stored Alma user. Strings that Alma always returns are "" when empty; dates are optional. */
export interface AlmaUser {
  /** PUBLIC, STAFF or CONTACT. */
  recordType: string;
  recordTypeDesc?: string;
  primaryId: string;
  firstName: string;
  middleName: string;
  lastName: string;
  /** Whether the user has a PIN (the PIN itself is never stored or returned). */
  pinSet: boolean;
  userTitle: string;
  userTitleDesc?: string;
  jobCategory: string;
  jobCategoryDesc?: string;
  jobDescription: string;
  gender: string;
  genderDesc?: string;
  userGroup: string;
  userGroupDesc?: string;
  campusCode: string;
  campusCodeDesc?: string;
  webSiteUrl: string;
  catalogerLevel: string;
  catalogerLevelDesc?: string;
  preferredLanguage: string;
  preferredLanguageDesc?: string;
  birthDate?: string;
  expiryDate?: string;
  purgeDate?: string;
  /** INTERNAL or EXTERNAL. */
  accountType: string;
  accountTypeDesc?: string;
  /** The SIS profile of an EXTERNAL user ("" for internal users). */
  externalId: string;
  /** Whether the user has a password (returned empty by GET, as Alma does). */
  passwordSet: boolean;
  forcePasswordChange: string;
  status: string;
  statusDesc?: string;
  statusDate?: string;
  lastPatronActivityDate?: string;
  /** Output-only counts, returned in the full view with a link. */
  requests: number;
  loans: number;
  fees: number;
  contactInfo: AlmaContactInfo;
  identifiers: AlmaIdentifier[];
  roles: AlmaRole[];
  blocks: AlmaBlock[];
  notes: AlmaNote[];
  statistics: AlmaStatistic[];
  proxyForUsers: AlmaProxyForUser[];
  rsLibraries: AlmaRsLibrary[];
  libraryNotices: AlmaLibraryNotice[];
  sourceLinkId?: string;
  sourceInstitutionCode?: string;
  linkingId?: string;
  prefFirstName: string;
  prefMiddleName: string;
  prefLastName: string;
  prefNameSuffix: string;
  isResearcher: boolean;
}

/** What a seed or a test gives: a primary ID and any other fields (the rest get Alma's defaults). */
export type AlmaUserInit = Partial<Omit<AlmaUser, "contactInfo" | "roles">> & {
  primaryId: string;
  contactInfo?: Partial<AlmaContactInfo>;
  roles?: (Omit<AlmaRole, "parameters"> & { parameters?: AlmaRoleParameter[] })[];
};
